// Operator: every device, online or not, how current its manifest is, and its backlog.
import { Badge, ErrorBox, Loading } from '../components/ui';
import { age, dateTime } from '../format';
import { useI18n } from '../i18n';
import type { Device } from '../types';
import { useApi } from '../use-api';

export function Fleet() {
  const { t, lang } = useI18n();
  const list = useApi<{ items: Device[] }>('/fleet', 10_000);
  const items = list.data?.items ?? [];
  const online = items.filter((d) => d.online).length;
  const dash = '—';
  return (
    <>
      <h1>{t('fleet.title')}</h1>
      {list.error && <ErrorBox error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && (
        <section class="card">
          <p>{t('fleet.summary', { online, total: items.length })}</p>
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
