// A bucket's default encryption: Get/Put/DeleteBucketEncryption.
import { act, announce, field, h } from '../dom';
import { type S3, base64, escapeXml, text } from '../s3';
import { md5 } from '../md5';
import { breadcrumbs, bucketTabs, title } from './layout';

export async function bucketEncryptionView(s3: S3, bucket: string, refresh: () => void): Promise<HTMLElement> {
  const doc = await s3.xml('GET', { bucket, query: { encryption: '' } });
  const algorithm = text(doc, 'SSEAlgorithm') || 'AES256';
  const current = {
    algorithm,
    kmsKeyId: text(doc, 'KMSMasterKeyID'),
    bucketKey: text(doc, 'BucketKeyEnabled') === 'true',
    blockSseC: Array.from(doc.getElementsByTagName('EncryptionType'), (e) => e.textContent).includes('SSE-C'),
  };
  const radio = (value: string, label: string) =>
    h('label', { class: 'inline' }, h('input', { type: 'radio', name: 'algorithm', value, checked: current.algorithm === value }), label);
  const kmsKey = h('input', { id: 'default-kms-key-id', value: current.kmsKeyId, spellcheck: 'false', placeholder: 'the KMS default key' });
  const bucketKey = h('input', { id: 'bucket-key-enabled', type: 'checkbox', checked: current.bucketKey });
  const blockSseC = h('input', { id: 'block-sse-c', type: 'checkbox', checked: current.blockSseC });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save default encryption');
  const reset = h('button', { type: 'button' }, 'Reset to SSE-S3');
  reset.addEventListener('click', () =>
    act(reset, async () => {
      await s3.send('DELETE', { bucket, query: { encryption: '' } });
      announce('Default encryption reset to SSE-S3.');
      refresh();
    }),
  );
  const form = h(
    'form',
    {
      class: 'panel',
      'aria-labelledby': 'encryption-title',
      onsubmit: (e) => {
        e.preventDefault();
        void act(save, async () => {
          const chosen = (form.querySelector('input[name=algorithm]:checked') as HTMLInputElement).value;
          const keyId = chosen === 'aws:kms' && kmsKey.value.trim() ? `<KMSMasterKeyID>${escapeXml(kmsKey.value.trim())}</KMSMasterKeyID>` : '';
          const blocked = blockSseC.checked ? '<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes>' : '';
          const body = `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${chosen}</SSEAlgorithm>${keyId}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${bucketKey.checked}</BucketKeyEnabled>${blocked}</Rule></ServerSideEncryptionConfiguration>`;
          await s3.send('PUT', { bucket, query: { encryption: '' }, headers: { 'content-type': 'application/xml', 'content-md5': base64(md5(new TextEncoder().encode(body))) }, body });
          announce('Default encryption saved.');
          refresh();
        });
      },
    },
    h('h3', { id: 'encryption-title' }, 'Default encryption for new objects'),
    h('p', { id: 'encryption-current' }, `Now: ${current.algorithm === 'aws:kms' ? `SSE-KMS with ${current.kmsKeyId || 'the KMS default key'}` : 'SSE-S3 (AES256)'}${current.bucketKey ? ', bucket key enabled' : ''}${current.blockSseC ? ', SSE-C uploads blocked' : ''}.`),
    h('fieldset', {}, h('legend', {}, 'Algorithm'), radio('AES256', 'SSE-S3 (AES256)'), radio('aws:kms', 'SSE-KMS (aws:kms)')),
    field('KMS key ID (SSE-KMS)', kmsKey, 'Checked to exist when saved. Empty: the KMS default key.'),
    h('label', { class: 'inline' }, bucketKey, 'Bucket key (one KMS call per bucket and hour instead of per object)'),
    h('label', { class: 'inline' }, blockSseC, 'Block SSE-C uploads to this bucket'),
    h('div', { class: 'row' }, save, reset),
  );
  return h('section', { 'aria-labelledby': 'view-title' }, breadcrumbs(bucket, ''), title(bucket), bucketTabs(bucket, 'encryption'), form);
}
