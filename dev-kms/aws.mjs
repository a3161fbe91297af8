// The AWS KMS JSON protocol (POST /, X-Amz-Target: TrentService.<Operation>, SigV4 with service
// "kms"): GenerateDataKey, Encrypt, Decrypt, ReEncrypt, DescribeKey, CreateKey, EnableKey,
// DisableKey, ScheduleKeyDeletion. Errors are {"__type", "message"} with status 400 as on AWS.
// Key ids are the store's names; an ARN (…:key/<name>) or alias/<name> resolves to the same key.
import { randomBytes, randomUUID } from 'node:crypto';
import { open, seal } from './keystore.mjs';
import { verifySigV4 } from './sigv4.mjs';

const ACCOUNT = '000000000000';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

export function aws({ region, accessKeyId, secretAccessKey }) {
  const secrets = new Map([[accessKeyId, secretAccessKey]]);
  const arn = (name) => `arn:aws:kms:${region}:${ACCOUNT}:key/${name}`;
  return {
    name: 'aws',
    matches: (url, headers) => url.pathname === '/' && String(headers['x-amz-target'] ?? '').startsWith('TrentService.'),
    failure: () => fail('KMSInternalException', 'The request failed because of an internal exception.', 500),
    handle(request) {
      const denied = verifySigV4(request, secrets, 'kms');
      if (denied) return fail(denied.type, denied.message);
      let input;
      try {
        input = JSON.parse(request.body.toString('utf8') || '{}');
      } catch {
        return fail('SerializationException', 'Start of structure or map found where not expected.');
      }
      const operation = OPERATIONS[request.headers['x-amz-target'].slice('TrentService.'.length)];
      if (!operation) return fail('UnknownOperationException', 'Unknown operation.');
      try {
        return { status: 200, contentType: CONTENT_TYPE, json: operation(input, { store: request.store, arn, region }) };
      } catch (e) {
        if (e instanceof AwsError) return fail(e.type, e.message);
        throw e;
      }
    },
  };
}

class AwsError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

const OPERATIONS = {
  CreateKey(input, { store, arn }) {
    const name = randomUUID();
    store.create(name);
    store.update(name, (k) => (k.description = input.Description ?? ''));
    return { KeyMetadata: metadata(store.get(name), arn) };
  },
  DescribeKey(input, { store, arn }) {
    return { KeyMetadata: metadata(findKey(store, input.KeyId), arn) };
  },
  EnableKey(input, { store }) {
    const key = findKey(store, input.KeyId);
    if (key.state === 'pending-deletion') throw new AwsError('KMSInvalidStateException', `${key.name} is pending deletion.`);
    store.update(key.name, (k) => (k.state = 'enabled'));
    return {};
  },
  DisableKey(input, { store }) {
    const key = findKey(store, input.KeyId);
    if (key.state === 'pending-deletion') throw new AwsError('KMSInvalidStateException', `${key.name} is pending deletion.`);
    store.update(key.name, (k) => (k.state = 'disabled'));
    return {};
  },
  ScheduleKeyDeletion(input, { store, arn }) {
    const key = findKey(store, input.KeyId);
    const days = input.PendingWindowInDays ?? 30;
    if (!Number.isInteger(days) || days < 7 || days > 30) throw new AwsError('ValidationException', 'PendingWindowInDays must be between 7 and 30.');
    const deletionDate = Math.floor(Date.now() / 1000) + days * 86400;
    store.update(key.name, (k) => {
      k.state = 'pending-deletion';
      k.deletionDate = deletionDate;
    });
    return { KeyId: arn(key.name), DeletionDate: deletionDate, KeyState: 'PendingDeletion', PendingWindowInDays: days };
  },
  GenerateDataKey(input, context) {
    const key = usableKey(context.store, input.KeyId);
    const plaintext = randomBytes(dataKeySize(input));
    return { CiphertextBlob: wrap(key, plaintext, input.EncryptionContext), Plaintext: plaintext.toString('base64'), KeyId: context.arn(key.name) };
  },
  Encrypt(input, context) {
    const key = usableKey(context.store, input.KeyId);
    const plaintext = Buffer.from(input.Plaintext ?? '', 'base64');
    if (!plaintext.length || plaintext.length > 4096) throw new AwsError('ValidationException', 'Plaintext must be 1 to 4096 bytes.');
    return { CiphertextBlob: wrap(key, plaintext, input.EncryptionContext), KeyId: context.arn(key.name), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  },
  Decrypt(input, context) {
    const { key, plaintext } = unwrap(context.store, input.CiphertextBlob, input.KeyId, input.EncryptionContext);
    return { Plaintext: plaintext.toString('base64'), KeyId: context.arn(key.name), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  },
  ReEncrypt(input, context) {
    const source = unwrap(context.store, input.CiphertextBlob, input.SourceKeyId, input.SourceEncryptionContext);
    const destination = usableKey(context.store, input.DestinationKeyId);
    return {
      CiphertextBlob: wrap(destination, source.plaintext, input.DestinationEncryptionContext),
      SourceKeyId: context.arn(source.key.name),
      KeyId: context.arn(destination.name),
      SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    };
  },
};

function keyName(keyId) {
  if (typeof keyId !== 'string' || !keyId) throw new AwsError('ValidationException', 'KeyId is required.');
  return keyId.replace(/^arn:aws:kms:[^:]*:[^:]*:key\//, '').replace(/^alias\//, '');
}

function findKey(store, keyId) {
  const key = store.get(keyName(keyId));
  if (!key) throw new AwsError('NotFoundException', `Key '${keyId}' does not exist`);
  return key;
}

function usableKey(store, keyId) {
  const key = findKey(store, keyId);
  if (key.state === 'disabled') throw new AwsError('DisabledException', `${keyId} is disabled.`);
  if (key.state === 'pending-deletion') throw new AwsError('KMSInvalidStateException', `${keyId} is pending deletion.`);
  return key;
}

function dataKeySize({ KeySpec, NumberOfBytes }) {
  if (KeySpec === 'AES_256') return 32;
  if (KeySpec === 'AES_128') return 16;
  if (Number.isInteger(NumberOfBytes) && NumberOfBytes >= 1 && NumberOfBytes <= 1024) return NumberOfBytes;
  throw new AwsError('ValidationException', 'Please specify either number of bytes or key spec.');
}

function metadata(key, arn) {
  const states = { enabled: 'Enabled', disabled: 'Disabled', 'pending-deletion': 'PendingDeletion' };
  return {
    AWSAccountId: ACCOUNT,
    KeyId: key.name,
    Arn: arn(key.name),
    CreationDate: Math.floor(key.createdAt.getTime() / 1000),
    Enabled: key.state === 'enabled',
    Description: key.description ?? '',
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: states[key.state],
    ...(key.deletionDate ? { DeletionDate: key.deletionDate } : {}),
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    KeySpec: 'SYMMETRIC_DEFAULT',
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
  };
}

/** AWS treats the context as an unordered map: its canonical form here is JSON sorted by name. */
function contextBytes(context = {}) {
  return Buffer.from(JSON.stringify(Object.keys(context).sort().map((name) => [name, context[name]])));
}

/** CiphertextBlob: u8 name length | key name | u32 version | sealed, base64 (it names its key, as AWS's does). */
function wrap(key, plaintext, context) {
  const { version, sealed } = seal(key, plaintext, contextBytes(context));
  const name = Buffer.from(key.name);
  const header = Buffer.alloc(1 + name.length + 4);
  header.writeUInt8(name.length);
  name.copy(header, 1);
  header.writeUInt32BE(version, 1 + name.length);
  return Buffer.concat([header, sealed]).toString('base64');
}

function unwrap(store, blob, keyId, context) {
  const bytes = Buffer.from(blob ?? '', 'base64');
  const nameLength = bytes[0] ?? 0;
  if (bytes.length < 1 + nameLength + 4 + 28) throw new AwsError('InvalidCiphertextException', '');
  const name = bytes.subarray(1, 1 + nameLength).toString();
  if (keyId !== undefined && findKey(store, keyId).name !== name) {
    throw new AwsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
  }
  const key = usableKey(store, name);
  const plaintext = open(key, bytes.readUInt32BE(1 + nameLength), bytes.subarray(1 + nameLength + 4), contextBytes(context));
  if (!plaintext) throw new AwsError('InvalidCiphertextException', '');
  return { key, plaintext };
}

function fail(type, message, status = 400) {
  return { status, contentType: CONTENT_TYPE, headers: { 'x-amzn-errortype': type }, json: { __type: type, message } };
}
