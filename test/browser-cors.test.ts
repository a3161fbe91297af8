// A page on another origin, in real Chromium, uses the service through the JS SDK bundled for the
// browser: CORS preflights, exposed response headers, and a form upload (POST Object) from the page.
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, PutBucketCorsCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Browser, CHROMIUM, launchBrowser } from './helpers/browser';
import { getBytes } from './helpers/objects';
import { ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, type Service, startService } from './helpers/service';

const Bucket = 'browser';
const hasChromium = existsSync(CHROMIUM);
let svc: Service;
let browser: Browser;
let site: http.Server;
let pageOrigin: string;

/** The JS SDK for the browser, as a web app would ship it. */
async function sdkBundle(): Promise<string> {
  const result = await build({
    stdin: { contents: "export { S3Client, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';", resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    format: 'iife',
    globalName: 'AWS',
    platform: 'browser',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

beforeAll(async () => {
  const sdk = await sdkBundle();
  site = http.createServer((req, res) => {
    if (req.url === '/sdk.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title><script src="/sdk.js"></script>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  [svc, browser] = await Promise.all([startService(), hasChromium ? launchBrowser() : (null as never)]);
  await svc.client.send(new CreateBucketCommand({ Bucket }));
  await svc.client.send(
    new PutBucketCorsCommand({
      Bucket,
      CORSConfiguration: {
        CORSRules: [{ AllowedOrigins: [pageOrigin], AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag', 'x-amz-server-side-encryption'] }],
      },
    }),
  );
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await new Promise((resolve) => site?.close(resolve));
});

it.runIf(hasChromium)('a page on another origin puts and gets through the JS SDK, and uploads a form', async () => {
  const form = await createPresignedPost(svc.client, { Bucket, Key: 'form/${filename}', Fields: { success_action_status: '201' }, Expires: 600 });
  const page = await browser.context.newPage();
  await page.goto(`${pageOrigin}/`);
  const seen = await page.evaluate(
    async ({ endpoint, region, credentials, form }) => {
      const { S3Client, PutObjectCommand, GetObjectCommand } = (globalThis as unknown as { AWS: typeof import('@aws-sdk/client-s3') }).AWS;
      const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
      const put = await client.send(new PutObjectCommand({ Bucket: 'browser', Key: 'page.txt', Body: 'from the page', ContentType: 'text/plain' }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'browser', Key: 'page.txt' }));
      const data = new FormData();
      for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
      data.append('file', new Blob(['a form from the page']), 'note.txt');
      const posted = await fetch(form.url, { method: 'POST', body: data });
      return {
        put: [put.ETag, put.ServerSideEncryption],
        got: [got.ETag, got.ServerSideEncryption, got.ContentType, await got.Body!.transformToString()],
        posted: [posted.status, posted.headers.get('etag') !== null, await posted.text()],
      };
    },
    { endpoint: svc.endpoint, region: REGION, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }, form },
  );
  expect(seen.put[0]).toMatch(/^"[0-9a-f]{32}"$/);
  expect(seen.put[1]).toBe('AES256');
  expect(seen.got).toEqual([seen.put[0], 'AES256', 'text/plain', 'from the page']);
  expect(seen.posted.slice(0, 2)).toEqual([201, true]);
  expect(seen.posted[2]).toContain('<Key>form/note.txt</Key>');
  expect((await getBytes(svc.client, Bucket, 'form/note.txt')).toString()).toBe('a form from the page');

  // An unsigned read is refused by the service, and the page can read that answer; served from an
  // origin the rules do not name, the page cannot even see it: the browser stops the response.
  const unsigned = ({ endpoint }: { endpoint: string }) => fetch(`${endpoint}/browser/page.txt`).then((r) => r.status, (e: Error) => e.name);
  expect(await page.evaluate(unsigned, { endpoint: svc.endpoint })).toBe(403);
  await page.goto(pageOrigin.replace('127.0.0.1', 'localhost') + '/');
  expect(await page.evaluate(unsigned, { endpoint: svc.endpoint })).toBe('TypeError');
  await page.close();
});

it.runIf(hasChromium)('a plain HTML <form> uploads a file and the browser follows success_action_redirect', async () => {
  const done = `${pageOrigin}/done`;
  const { url, fields } = await createPresignedPost(svc.client, { Bucket, Key: 'html/${filename}', Fields: { success_action_redirect: done }, Expires: 600 });
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${value.replace(/"/g, '&quot;')}">`)
    .join('');
  const page = await browser.context.newPage();
  await page.goto(`${pageOrigin}/`);
  await page.setContent(`<form action="${url}" method="post" enctype="multipart/form-data">${inputs}<input type="file" name="file"><button>Upload</button></form>`);
  await page.setInputFiles('input[type=file]', { name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.from('sent by a form') });
  await Promise.all([page.waitForURL(`${done}?*`), page.click('button')]);
  const landed = new URL(page.url());
  expect([landed.searchParams.get('bucket'), landed.searchParams.get('key')]).toEqual([Bucket, 'html/report.txt']);
  expect((await getBytes(svc.client, Bucket, 'html/report.txt')).toString()).toBe('sent by a form');
  await page.close();
});
