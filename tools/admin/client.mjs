// The signed JSON client of the admin CLI (aws4fetch): requests under /_admin/, S3 XML errors as words.
import { AwsClient } from 'aws4fetch';

/** Wrong use of the CLI (exit status 2). */
export class UsageError extends Error {}

/** The endpoint refused or failed a request (exit status 1). */
export class AdminError extends Error {}

export class AdminClient {
  #aws;

  constructor({ endpoint, region, accessKeyId, secretAccessKey }) {
    let url;
    try {
      url = new URL(endpoint);
    } catch {
      throw new UsageError(`--endpoint ${endpoint} is not a URL`);
    }
    this.endpoint = url.href.replace(/\/$/, '');
    this.#aws = new AwsClient({ accessKeyId, secretAccessKey, region, service: 's3', retries: 3 });
  }

  /** `method` on /_admin/`path`; the answer's JSON (null when it has none). */
  async request(method, path, body) {
    let response;
    try {
      response = await this.#aws.fetch(`${this.endpoint}/_admin/${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new AdminError(`cannot reach ${this.endpoint}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
      const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
      throw new AdminError(code ? `${code}: ${unescapeXml(message ?? '')}` : `HTTP ${response.status} from ${this.endpoint}`);
    }
    return text ? JSON.parse(text) : null;
  }
}

const unescapeXml = (s) => s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]);
