// The demo's three clips, made once with ffmpeg's test sources (a stand-in for merchants'
// uploads), hosted by the broker and placed where the agent's player finds them by hash.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { locate } from '@doorcast/agent';
import type { RunningBroker } from '@doorcast/broker';

const CLIPS = [
  { id: 'noodle-bar', tier: 'paid', share: 0.6, source: 'testsrc2', colour: 'orange' },
  { id: 'corner-bakery', tier: 'paid', share: 0.4, source: 'smptebars', colour: 'white' },
  { id: 'welcome-home', tier: 'house', share: 1, source: 'rgbtestsrc', colour: 'cyan' },
] as const;

export async function installDemoCampaigns(dir: string, broker: RunningBroker, site: string, creativesDir: string): Promise<string[]> {
  const ffmpeg = locate('ffmpeg');
  const made = join(dir, 'clips');
  mkdirSync(made, { recursive: true });
  mkdirSync(creativesDir, { recursive: true });
  const ids: string[] = [];
  for (const c of CLIPS) {
    const file = join(made, `${c.id}.mp4`);
    if (!existsSync(file)) {
      execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `${c.source}=size=800x480:rate=25`, '-t', '4', '-vf', `drawbox=x=0:y=0:w=800:h=40:color=${c.colour}:t=fill`, '-pix_fmt', 'yuv420p', '-y', file]);
    }
    const { sha256 } = await broker.creatives.addFile(file);
    if (sha256 !== createHash('sha256').update(readFileSync(file)).digest('hex')) throw new Error(`hash mismatch for ${file}`);
    copyFileSync(file, join(creativesDir, `${sha256}.mp4`));
    await broker.campaigns.upsert({
      id: c.id,
      site,
      campaign: { id: c.id, tier: c.tier, share: c.share, dates: { from: '2026-01-01', to: '2099-12-31' }, creatives: [{ id: `${c.id}-1`, sha256, durationMs: 4000, firstSecondsMs: 1500 }] },
      creatives: [sha256],
    });
    ids.push(c.id);
  }
  await broker.manifests.refresh();
  return ids;
}
