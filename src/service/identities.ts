// Who signs a request: the administrators of the CREDENTIALS configuration, or access keys that
// administrators created, each with an IAM policy. A created key's secret is its KMS data key
// (shown once, at creation), stored only as the KMS sealed it, bound to the access key id. Resolved
// keys stay in the isolate for CACHE_TTL_MS, so signing a request costs no D1 read or KMS call most
// of the time; disabling or deleting a key takes effect in other isolates within that time.
import { type KeyAudit, NO_AUDIT } from '../audit/event';
import type { KeyBinding } from '../crypto/keys';
import { KmsError, type KmsErrorKind, type Kms } from '../kms/kms';
import type { Principal } from '../policy/access';
import { PolicyError, parsePolicy } from '../policy/policy';
import { S3Error } from '../error';
import type { UserRecord, UserStore } from '../storage/users';
import { kmsFailure } from './encryption';

const CACHE_TTL_MS = 10_000;
const CACHE_MAX_ENTRIES = 1000;
const LIST_PAGE = 1000;

export interface Identity {
  secret: string;
  principal: Principal;
}

/** A created key as administrators see it: never its secret. */
export interface UserView {
  accessKeyId: string;
  name: string;
  status: 'active' | 'disabled';
  createdAt: string;
  policy: unknown;
}

export interface NewUser extends UserView {
  secretAccessKey: string;
}

/** Resolved keys (null: no usable key by that id) per isolate, oldest evicted first. */
const cache = new Map<string, { identity: Identity | null; expires: number }>();

/** What a secret's seal is bound to: its access key id, under a bucket name no bucket can have. */
export const secretBinding = (accessKeyId: string): KeyBinding => ({ mode: 'SSE-KMS', bucket: '_admin', key: `users/${accessKeyId}` });
/** 40 characters of base64, like an AWS secret access key: 240 bits of the data key. */
const secretOf = (dataKey: Uint8Array) => btoa(String.fromCharCode(...dataKey)).slice(0, 40);

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** 20 characters like an AWS access key id ("EK" then 90 random bits in base32). */
const newAccessKeyId = () => `EK${Array.from(crypto.getRandomValues(new Uint8Array(18)), (b) => ID_ALPHABET[b & 31]).join('')}`;

const NAME = /^[\w+=,.@-]{1,64}$/;
const UNUSABLE: KmsErrorKind[] = ['not-authentic', 'key-not-found', 'key-disabled'];

const noSuchUser = (accessKeyId: string) => new S3Error('NoSuchEntity', `There is no access key ${accessKeyId}.`);

const view = (u: UserRecord): UserView => ({
  accessKeyId: u.accessKeyId,
  name: u.name,
  status: u.disabledAt === null ? 'active' : 'disabled',
  createdAt: new Date(u.createdAt).toISOString(),
  policy: JSON.parse(u.policy),
});

export class Identities {
  constructor(
    /** Administrators: access key id → secret. */
    private readonly admins: ReadonlyMap<string, string>,
    private readonly store: UserStore,
    private readonly kms: () => Kms,
    /** Seals and unseals of secrets (not cache hits: those are every request a user signs). */
    private readonly audit: KeyAudit = NO_AUDIT,
    private readonly now: () => number = Date.now,
  ) {}

  /** The identity signing with `accessKeyId`, or undefined (unknown, disabled or deleted). */
  async resolve(accessKeyId: string): Promise<Identity | undefined> {
    const admin = this.admins.get(accessKeyId);
    if (admin !== undefined) return { secret: admin, principal: { admin: true, accessKeyId } };
    const cached = cache.get(accessKeyId);
    if (cached && cached.expires > this.now()) return cached.identity ?? undefined;
    const identity = await this.load(accessKeyId);
    if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(accessKeyId, { identity, expires: this.now() + CACHE_TTL_MS });
    return identity ?? undefined;
  }

  private async load(accessKeyId: string): Promise<Identity | null> {
    const user = await this.store.get(accessKeyId);
    if (!user || user.disabledAt !== null) return null;
    let dataKey: Uint8Array;
    const use = { ...secretBinding(accessKeyId), kmsKeyId: user.kekId, detail: 'access key secret' };
    try {
      dataKey = await this.kms().decryptDataKey(user.kekId, user.sealedSecret, secretBinding(accessKeyId));
      this.audit.record({ action: 'unseal', ...use, outcome: 'ok', cached: false });
    } catch (e) {
      if (e instanceof KmsError && e.kind === 'not-authentic') this.audit.record({ action: 'unseal-failed', ...use, outcome: 'not-authentic' });
      // A secret whose KMS key is gone or disabled, or whose seal does not open, can sign nothing:
      // refused like an unknown key, and logged (never the secret). A KMS that is down is a 503.
      if (!(e instanceof KmsError) || !UNUSABLE.includes(e.kind)) return kmsFailure(e);
      console.error('iam', `the secret of ${accessKeyId} cannot be unsealed: ${e.kind}: ${e.message}`);
      return null;
    }
    return { secret: secretOf(dataKey), principal: { admin: false, accessKeyId, policy: parsePolicy(user.policy) } };
  }

  async create(name: unknown, policy: unknown): Promise<NewUser> {
    if (typeof name !== 'string' || !NAME.test(name)) throw new S3Error('InvalidArgument', 'name must be 1 to 64 letters, digits or +=,.@_-.', { ArgumentName: 'name' });
    const text = typeof policy === 'string' ? policy : JSON.stringify(policy ?? null);
    try {
      parsePolicy(text);
    } catch (e) {
      if (e instanceof PolicyError) throw new S3Error('MalformedPolicyDocument', e.message);
      throw e;
    }
    const kms = this.kms();
    for (;;) {
      const accessKeyId = newAccessKeyId();
      if (this.admins.has(accessKeyId)) continue;
      let sealed;
      try {
        sealed = await kms.generateDataKey(kms.defaultKeyId, secretBinding(accessKeyId));
      } catch (e) {
        return kmsFailure(e);
      }
      const record: UserRecord = { accessKeyId, name, policy: text, kekId: sealed.keyId, sealedSecret: sealed.sealed, disabledAt: null, createdAt: this.now() };
      if (await this.store.insert(record)) {
        cache.delete(accessKeyId);
        this.audit.record({ action: 'seal', ...secretBinding(accessKeyId), kmsKeyId: sealed.keyId, outcome: 'ok', detail: 'access key secret' });
        return { ...view(record), secretAccessKey: secretOf(sealed.plaintext) };
      }
    }
  }

  async list(): Promise<UserView[]> {
    const users: UserView[] = [];
    for (let page: UserRecord[] = [], after = ''; ; after = page.at(-1)!.accessKeyId) {
      page = await this.store.list(after, LIST_PAGE);
      users.push(...page.map(view));
      if (page.length < LIST_PAGE) return users;
    }
  }

  async setDisabled(accessKeyId: string, disabled: boolean): Promise<UserView> {
    if (!(await this.store.setDisabled(accessKeyId, disabled ? this.now() : null))) throw noSuchUser(accessKeyId);
    cache.delete(accessKeyId);
    return view((await this.store.get(accessKeyId))!);
  }

  async delete(accessKeyId: string): Promise<void> {
    if (!(await this.store.delete(accessKeyId))) throw noSuchUser(accessKeyId);
    cache.delete(accessKeyId);
  }
}
