// Compiles one device's manifest content from the campaign table. Pure.
import type { DeviceRef, ManifestBody, ManifestCreative } from '../contract.js';
import type { Campaign, SiteSettings } from './campaigns.js';

/** Everything of a manifest body except its version and issue time. */
export type ManifestContent = Pick<ManifestBody, 'site' | 'device' | 'timezone' | 'campaignSet' | 'creatives' | 'segmentRules' | 'consent' | 'optOuts' | 'quietHours'>;

export interface CompileInput {
  ref: DeviceRef;
  campaigns: readonly Campaign[];
  site: SiteSettings;
  defaultTimezone: string;
  /** Size of a hosted creative, or null if it is not hosted. */
  creativeBytes(sha256: string): number | null;
}

export interface Compiled {
  content: ManifestContent;
  skipped: { campaignId: string; reason: 'creative-missing' }[];
}

export function compileManifest(i: CompileInput): Compiled {
  const skipped: Compiled['skipped'] = [];
  const campaigns: unknown[] = [];
  const creatives = new Map<string, ManifestCreative>();
  for (const c of i.campaigns) {
    const sizes = c.creatives.map((sha) => [sha, i.creativeBytes(sha)] as const);
    // A device must be able to play everything its manifest lists.
    if (sizes.some(([, b]) => b === null)) {
      skipped.push({ campaignId: c.id, reason: 'creative-missing' });
      continue;
    }
    campaigns.push(c.campaign);
    for (const [sha256, bytes] of sizes) creatives.set(sha256, { sha256, url: `/creatives/${sha256}`, bytes: bytes! });
  }
  // An opt-out always wins over a consent record (DESIGN.md rule 5).
  const optOuts = [...new Set(i.site.optOuts)].sort();
  const out = new Set(optOuts);
  return {
    content: {
      site: i.ref.site,
      device: i.ref.device,
      timezone: i.site.timezone ?? i.defaultTimezone,
      campaignSet: { campaigns },
      creatives: [...creatives.values()].sort((a, b) => a.sha256.localeCompare(b.sha256)),
      segmentRules: i.site.segmentRules,
      consent: [...new Set(i.site.consent)].filter((p) => !out.has(p)).sort(),
      optOuts,
      quietHours: i.site.quietHours,
    },
    skipped,
  };
}
