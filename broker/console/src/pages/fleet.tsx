// Operator: every device, online or not, how current its manifest is, and its backlog.
import { useState } from 'preact/hooks';
import { Badge, ErrorBox, Loading } from '../components/ui';
import { age, dateTime } from '../format';
import { useI18n } from '../i18n';
import type { Device } from '../types';
import { useApi } from '../use-api';

export function Fleet() {
  const { t, lang } = useI18n();
  // A big fleet: the server filters and counts; the page shows the first 500 of the filter.
  const [status, setStatus] = useState<'' | 'offline' | 'behind'>('');
  const list = useApi<{ items: Device[]; nextCursor: string | null; summary: { devices: number; online: number; offline: number; behind: number } }>(`/fleet?limit=500${status ? `&status=${status}` : ''}`, 10_000);
  const items = list.data?.items ?? [];
  const summary = list.data?.summary;
  const dash = '—';
  return (
    <>
      <h1>{t('fleet.title')}</h1>
      {list.error && <ErrorBox error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && (
        <section class="card">
          <p>
            {t('fleet.summary', { online: summary?.online ?? 0, total: summary?.devices ?? 0 })} · {t('fleet.behindCount', { n: summary?.behind ?? 0 })}
          </p>
          <label>
            {t('fleet.show')}{' '}
            <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value as typeof status)} data-testid="fleet-status">
              <option value="">{t('fleet.all')}</option>
              <option value="offline">{t('fleet.offline')}</option>
              <option value="behind">{t('fleet.behind')}</option>
            </select>
          </label>
          {list.data.nextCursor && <p class="muted">{t('fleet.more', { n: items.length })}</p>}
          {items.length === 0 ? (
            <p class="muted">{t('fleet.none')}</p>
          ) : (
            <table class="responsive" data-testid="fleet">
              <thead>
                <tr>
                  <th>{t('fleet.device')}</th>
                  <th>{t('common.status')}</th>
                  <th>{t('fleet.lastSeen')}</th>
                  <th>{t('fleet.manifest')}</th>
                  <th>{t('fleet.outbox')}</th>
                  <th>{t('fleet.oldest')}</th>
                  <th>{t('fleet.version')}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((d) => {
                  const behind = d.manifestVersionPublished !== null && (d.manifestVersionApplied ?? 0) < d.manifestVersionPublished;
                  return (
                    <tr key={`${d.site}/${d.device}`} data-device={`${d.site}/${d.device}`}>
                      <td data-label={t('fleet.device')}>
                        <strong>{d.device}</strong>
                        <div class="muted small">{d.site}</div>
                      </td>
                      <td data-label={t('common.status')}>
                        <Badge kind={d.online ? 'ok' : 'bad'}>{t(d.online ? 'fleet.online' : 'fleet.offline')}</Badge>
                      </td>
                      <td data-label={t('fleet.lastSeen')}>{d.lastSeen ? dateTime(d.lastSeen, lang) : dash}</td>
                      <td data-label={t('fleet.manifest')} class={behind ? 'warn' : ''}>
                        {t('fleet.appliedOf', { applied: d.manifestVersionApplied ?? dash, published: d.manifestVersionPublished ?? dash })}
                      </td>
                      <td data-label={t('fleet.outbox')}>{d.outboxDepth ?? dash}</td>
                      <td data-label={t('fleet.oldest')}>{d.oldestUnsyncedAgeS === null ? dash : age(d.oldestUnsyncedAgeS)}</td>
                      <td data-label={t('fleet.version')}>{d.agentVersion ?? dash}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
      )}
    </>
  );
}
