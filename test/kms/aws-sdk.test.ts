// The development KMS's AWS protocol, checked with the official @aws-sdk/client-kms (its SigV4, its
// JSON 1.1 serialization and error parsing), and the AWS backend (aws4fetch) interoperating with it.
import {
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  type KMSClient,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevKms, startDevKms } from '../../dev-kms/server.mjs';
import type { KeyBinding } from '../../src/crypto/keys';
import type { Kms } from '../../src/kms/kms';
import { awsSdkClient, backend, externalKms } from './fixtures';

let devKms: DevKms;
let sdk: KMSClient;
let kms: Kms;
beforeAll(async () => {
  devKms = await startDevKms({ keyIds: ['sdk-a', 'sdk-b'] });
  sdk = awsSdkClient(devKms);
  kms = externalKms('aws', devKms, devKms.fetcher());
});
afterAll(async () => {
  sdk?.destroy();
  await devKms?.close();
});

const object: KeyBinding = { mode: 'SSE-KMS', bucket: 'b', key: 'k' };
const objectContext = { 'edge-sse:bucket': 'b', 'edge-sse:key': 'k', 'edge-sse:mode': 'SSE-KMS' };

async function sdkError(promise: Promise<unknown>): Promise<string> {
  const e = await promise.then(
    () => null,
    (error: unknown) => error as Error,
  );
  expect(e).toBeInstanceOf(Error);
  return e!.name;
}

describe('dev KMS via @aws-sdk/client-kms', () => {
  it('generates a data key and decrypts it only with the same encryption context', async () => {
    const context = { purpose: 'test', b: '2', a: '1' };
    const generated = await sdk.send(new GenerateDataKeyCommand({ KeyId: 'sdk-a', KeySpec: 'AES_256', EncryptionContext: context }));
    expect(generated.Plaintext).toHaveLength(32);
    expect(generated.KeyId).toBe(`arn:aws:kms:${devKms.region}:000000000000:key/sdk-a`);
    const decrypted = await sdk.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { a: '1', b: '2', purpose: 'test' } }));
    expect(decrypted.Plaintext).toEqual(generated.Plaintext);
    expect(decrypted.KeyId).toBe(generated.KeyId);
    expect(await sdkError(sdk.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { ...context, a: '0' } })))).toBe('InvalidCiphertextException');
    expect(await sdkError(sdk.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, KeyId: 'sdk-b', EncryptionContext: context })))).toBe('IncorrectKeyException');
  });

  it('encrypts, re-encrypts under another key and decrypts', async () => {
    const plaintext = new TextEncoder().encode('small secret');
    const { CiphertextBlob } = await sdk.send(new EncryptCommand({ KeyId: 'alias/sdk-a', Plaintext: plaintext }));
    const moved = await sdk.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: 'sdk-b', DestinationEncryptionContext: { v: '2' } }));
    expect(moved.SourceKeyId).toMatch(/key\/sdk-a$/);
    expect(moved.KeyId).toMatch(/key\/sdk-b$/);
    expect((await sdk.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { v: '2' } }))).Plaintext).toEqual(plaintext);
  });

  it('reports, disables, enables and schedules deletion of keys in AWS terms', async () => {
    const { KeyMetadata } = await sdk.send(new DescribeKeyCommand({ KeyId: 'sdk-b' }));
    expect(KeyMetadata).toMatchObject({ KeyId: 'sdk-b', KeyState: 'Enabled', Enabled: true, KeyUsage: 'ENCRYPT_DECRYPT' });
    expect(KeyMetadata!.CreationDate).toBeInstanceOf(Date);

    const doomed = await backend('aws', devKms).createKey();
    await sdk.send(new DisableKeyCommand({ KeyId: doomed }));
    expect(await sdkError(sdk.send(new GenerateDataKeyCommand({ KeyId: doomed, KeySpec: 'AES_256' })))).toBe('DisabledException');
    expect(await kms.describeKey(doomed)).toEqual({ keyId: doomed, enabled: false });
    await sdk.send(new EnableKeyCommand({ KeyId: doomed }));
    expect(await kms.describeKey(doomed)).toEqual({ keyId: doomed, enabled: true });

    const scheduled = await sdk.send(new ScheduleKeyDeletionCommand({ KeyId: doomed, PendingWindowInDays: 7 }));
    expect(scheduled.KeyState).toBe('PendingDeletion');
    expect(scheduled.DeletionDate).toBeInstanceOf(Date);
    expect(await sdkError(sdk.send(new GenerateDataKeyCommand({ KeyId: doomed, KeySpec: 'AES_256' })))).toBe('KMSInvalidStateException');
    expect(await sdkError(sdk.send(new DescribeKeyCommand({ KeyId: 'missing' })))).toBe('NotFoundException');
  });

  it('verifies SigV4: an unknown access key and a wrong secret are refused', async () => {
    const stranger = awsSdkClient(devKms, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: devKms.secretAccessKey });
    const forger = awsSdkClient(devKms, { accessKeyId: devKms.accessKeyId, secretAccessKey: 'wrong' });
    expect(await sdkError(stranger.send(new DescribeKeyCommand({ KeyId: 'sdk-a' })))).toBe('UnrecognizedClientException');
    expect(await sdkError(forger.send(new DescribeKeyCommand({ KeyId: 'sdk-a' })))).toBe('InvalidSignatureException');
    stranger.destroy();
    forger.destroy();
  });

  it('opens data keys of the AWS backend with the SDK, and the other way round', async () => {
    const ours = await kms.generateDataKey('sdk-a', object);
    const opened = await sdk.send(new DecryptCommand({ CiphertextBlob: ours.sealed, KeyId: ours.keyId, EncryptionContext: objectContext }));
    expect(opened.Plaintext).toEqual(ours.plaintext);

    const theirs = await sdk.send(new GenerateDataKeyCommand({ KeyId: 'sdk-a', KeySpec: 'AES_256', EncryptionContext: objectContext }));
    expect(await kms.decryptDataKey(theirs.KeyId!, theirs.CiphertextBlob!, object)).toEqual(theirs.Plaintext);
  });
});
