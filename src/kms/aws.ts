// AWS KMS JSON API (TrentService.GenerateDataKey / Decrypt / ReEncrypt / DescribeKey), signed with
// SigV4 by aws4fetch, against AWS or any endpoint that speaks the same protocol.
import { AwsClient } from 'aws4fetch';
import type { KeyBinding } from '../crypto/keys';
import { type JsonObject, bytesField, jsonOf, objectField, stringField } from './answer';
import { toBase64 } from './base64';
import { type EncryptionContext, encryptionContext } from './context';
import { type CallPolicy, DEFAULT_CALL_POLICY, type Fetcher, type KmsAnswer, callKms } from './http';
import { type ClientContext, type DataKey, type KeyStatus, type Kms, KmsError, type KmsErrorKind, type SealedDataKey } from './kms';
import { checkDataKey } from './plaintext';

export interface AwsKmsOptions {
  /** e.g. https://kms.eu-west-1.amazonaws.com */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  defaultKeyId: string;
  fetcher: Fetcher;
  policy?: CallPolicy;
}

type Target = 'GenerateDataKey' | 'Decrypt' | 'ReEncrypt' | 'DescribeKey';

/** __type names of AWS KMS errors that are not "rejected" (a client bug). */
const ERROR_KINDS = new Map<string, KmsErrorKind>([
  ['NotFoundException', 'key-not-found'],
  ['DisabledException', 'key-disabled'],
  ['KMSInvalidStateException', 'key-disabled'],
  ['InvalidCiphertextException', 'not-authentic'],
  ['IncorrectKeyException', 'not-authentic'],
  ['AccessDeniedException', 'access-denied'],
  ['UnrecognizedClientException', 'access-denied'],
  ['InvalidSignatureException', 'access-denied'],
  ['IncompleteSignatureException', 'access-denied'],
  ['MissingAuthenticationTokenException', 'access-denied'],
  ['ExpiredTokenException', 'access-denied'],
  // Sent with status 400, so not retried here; still transient for whoever calls.
  ['ThrottlingException', 'unavailable'],
  ['LimitExceededException', 'unavailable'],
]);

export class AwsKms implements Kms {
  readonly defaultKeyId: string;
  private readonly signer: AwsClient;

  constructor(private readonly options: AwsKmsOptions) {
    this.defaultKeyId = options.defaultKeyId;
    const { accessKeyId, secretAccessKey, sessionToken, region } = options;
    this.signer = new AwsClient({ accessKeyId, secretAccessKey, sessionToken, region, service: 'kms' });
  }

  async generateDataKey(keyId: string, binding: KeyBinding, clientContext?: ClientContext): Promise<DataKey> {
    const what = `AWS KMS GenerateDataKey ${keyId}`;
    const json = await this.call('GenerateDataKey', what, { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: contextMap(encryptionContext(binding, clientContext)) });
    return {
      plaintext: checkDataKey(bytesField(json, 'Plaintext', what), what),
      sealed: bytesField(json, 'CiphertextBlob', what),
      keyId: stringField(json, 'KeyId', what),
    };
  }

  async decryptDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding, clientContext?: ClientContext): Promise<Uint8Array> {
    const what = `AWS KMS Decrypt ${keyId}`;
    const context = contextMap(encryptionContext(binding, clientContext));
    const json = await this.call('Decrypt', what, { KeyId: keyId, CiphertextBlob: toBase64(sealed), EncryptionContext: context });
    return checkDataKey(bytesField(json, 'Plaintext', what), what);
  }

  async rewrapDataKey(keyId: string, sealed: Uint8Array, binding: KeyBinding, newKeyId: string, clientContext?: ClientContext): Promise<SealedDataKey> {
    const what = `AWS KMS ReEncrypt ${keyId} to ${newKeyId}`;
    const context = contextMap(encryptionContext(binding, clientContext));
    const json = await this.call('ReEncrypt', what, {
      CiphertextBlob: toBase64(sealed),
      SourceKeyId: keyId,
      SourceEncryptionContext: context,
      DestinationKeyId: newKeyId,
      DestinationEncryptionContext: context,
    });
    return { sealed: bytesField(json, 'CiphertextBlob', what), keyId: stringField(json, 'KeyId', what) };
  }

  async describeKey(keyId: string): Promise<KeyStatus> {
    const what = `AWS KMS DescribeKey ${keyId}`;
    const metadata = objectField(await this.call('DescribeKey', what, { KeyId: keyId }), 'KeyMetadata', what);
    return { keyId: stringField(metadata, 'Arn', what), enabled: stringField(metadata, 'KeyState', what) === 'Enabled' };
  }

  private async call(target: Target, what: string, body: JsonObject): Promise<JsonObject | null> {
    const build = () =>
      this.signer.sign(this.options.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${target}` },
        body: JSON.stringify(body),
      });
    const answer = await callKms(this.options.fetcher, build, this.options.policy ?? DEFAULT_CALL_POLICY, what);
    if (answer.status === 200) return jsonOf(answer);
    throw awsError(answer, what);
  }
}

function contextMap(context: EncryptionContext): Record<string, string> {
  return Object.fromEntries(context);
}

function awsError(answer: KmsAnswer, what: string): KmsError {
  const json = jsonOf(answer);
  // "__type" may carry a namespace ("com.amazonaws.kms#NotFoundException") or a ":" suffix.
  const type = String(json?.__type ?? '').split('#').pop()!.split(':')[0];
  const message = `${what}: ${type || 'error'}: ${String(json?.message ?? json?.Message ?? answer.body).slice(0, 200)} (HTTP ${answer.status})`;
  return new KmsError(ERROR_KINDS.get(type) ?? 'rejected', message);
}
