// The development KMS's certificates, made at start: a CA, a server certificate for 127.0.0.1 and
// localhost, and a client certificate (KES authenticates clients by certificate). RSA keys come from
// Node's crypto; node-forge writes the X.509 (Node cannot issue certificates itself).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

const DAY = 24 * 60 * 60 * 1000;

/** PEM strings: `ca` to trust, `server` to serve, `client` to present. */
export function createCertificates() {
  const caKeys = keyPair();
  const ca = issue({ subject: 'edge-sse development KMS CA', keys: caKeys, issuer: null, extensions: caExtensions() });
  const serverKeys = keyPair();
  const server = issue({ subject: '127.0.0.1', keys: serverKeys, issuer: { cert: ca, keys: caKeys }, extensions: leafExtensions('serverAuth') });
  const clientKeys = keyPair();
  const client = issue({ subject: 'edge-sse', keys: clientKeys, issuer: { cert: ca, keys: caKeys }, extensions: leafExtensions('clientAuth') });
  return {
    ca: forge.pki.certificateToPem(ca),
    serverCert: forge.pki.certificateToPem(server),
    serverKey: serverKeys.privatePem,
    clientCert: forge.pki.certificateToPem(client),
    clientKey: clientKeys.privatePem,
  };
}

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey: forge.pki.publicKeyFromPem(publicKey), privateKey: forge.pki.privateKeyFromPem(privateKey), privatePem: privateKey };
}

function issue({ subject, keys, issuer, extensions }) {
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // Positive 16-byte serial: the top bit clear keeps DER from reading it as negative.
  cert.serialNumber = `0${randomBytes(16).toString('hex').slice(1)}`;
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + 825 * DAY);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: 'commonName', value: subject }]);
  cert.setExtensions(extensions);
  cert.sign((issuer ?? { keys }).keys.privateKey, forge.md.sha256.create());
  return cert;
}

function caExtensions() {
  return [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
}

function leafExtensions(purpose) {
  const extensions = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', [purpose]: true },
  ];
  if (purpose === 'serverAuth') {
    extensions.push({ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] });
  }
  return extensions;
}
