// The administration page's panels, one module each, in the order shown: a new admin operation
// gets its panel module here. Administrators-only operations live under /_admin/; a panel shows
// S3's AccessDenied to other keys.
import type { S3 } from '../s3';
import { auditPanel } from './audit';
import { healthPanel } from './health';
import { rewrapPanel } from './rewrap';

export interface AdminPanel {
  render(s3: S3): HTMLElement;
}

export const ADMIN_PANELS: AdminPanel[] = [healthPanel, rewrapPanel, auditPanel];
