// Authorization of one request, once, between parse and dispatch: administrators may do everything;
// any other access key may do what its policy allows, and no Admin operation at all.
import { S3Error } from '../error';
import type { Operation } from '../s3/operation';
import { bucketArn, isAdminOperation, objectArn, requiredActions } from './actions';
import { requestContext } from './context';
import { type Decision, type RequestContext, evaluate } from './evaluate';
import type { Policy } from './policy';

export type Principal = { admin: true; accessKeyId: string } | { admin: false; accessKeyId: string; policy: Policy };

/** Who an unsigned request (PostObject, whose form is signed instead) is until its handler knows: nobody. */
export const UNSIGNED: Principal = { admin: false, accessKeyId: '', policy: { statements: [] } };

const accessDenied = () => new S3Error('AccessDenied', 'Access Denied');

export class Access {
  constructor(
    readonly principal: Principal,
    private readonly context: RequestContext,
  ) {}

  decide(action: string, resource: string): Decision {
    if (this.principal.admin) return 'allow';
    return evaluate(this.principal.policy, { action, resource, context: this.context });
  }

  allows(action: string, resource: string): boolean {
    return this.decide(action, resource) === 'allow';
  }

  /**
   * The buckets ListBuckets shows: all with s3:ListAllMyBuckets (AWS); else, as MinIO does, those the
   * key may s3:ListBucket or s3:GetBucketLocation, so a key scoped to a few buckets sees just those;
   * AccessDenied when that leaves none, or s3:ListAllMyBuckets is denied explicitly.
   */
  listable<T extends { name: string }>(buckets: T[]): T[] {
    const all = this.decide('s3:ListAllMyBuckets', '*');
    if (all === 'allow') return buckets;
    const visible = buckets.filter((b) => this.allows('s3:ListBucket', bucketArn(b.name)) || this.allows('s3:GetBucketLocation', bucketArn(b.name)));
    if (all === 'deny' || visible.length === 0) throw accessDenied();
    return visible;
  }

  /**
   * For `promise.catch`: a missing key is AccessDenied (403), not NoSuchKey (404), to a key that may
   * not s3:ListBucket the bucket, as on S3, so that it cannot probe for names it may not list.
   */
  concealMissing(op: Operation): (e: unknown) => never {
    return (e) => {
      if (e instanceof S3Error && e.code === 'NoSuchKey' && 'bucket' in op && !this.allows('s3:ListBucket', bucketArn(op.bucket))) throw accessDenied();
      throw e;
    };
  }
}

/** The access of `principal` to `op`, or AccessDenied. */
export function authorize(op: Operation, principal: Principal, request: Request, url: URL): Access {
  const access = new Access(principal, requestContext(request.headers, url));
  if (principal.admin) return access;
  if (isAdminOperation(op)) throw accessDenied();
  for (const { action, resource } of requiredActions(op, request.headers)) {
    if (!access.allows(action, resource)) throw accessDenied();
  }
  return access;
}

/** A POST Object form upload: its signer must be allowed s3:PutObject on the key, with the form's fields as request headers. */
export function authorizeFormUpload(principal: Principal, headers: Headers, url: URL, bucket: string, key: string): void {
  if (!new Access(principal, requestContext(headers, url)).allows('s3:PutObject', objectArn(bucket, key))) throw accessDenied();
}
