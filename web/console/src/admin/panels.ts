// The administration page's panels, one module each, in the order shown. Administrators-only
// operations live under /_admin/ (docs/DESIGN.md); a panel shows S3's AccessDenied to other keys.
//
// Room for what issue 9 adds: a KMS key health panel (the admin health report) and an audit query
// panel (by object, access key, KMS key, time range; chain verification) go here as further entries.
import type { S3 } from '../s3';
import { rewrapPanel } from './rewrap';

export interface AdminPanel {
  title: string;
  render(s3: S3): HTMLElement;
}

export const ADMIN_PANELS: AdminPanel[] = [rewrapPanel];
