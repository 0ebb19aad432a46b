// Merchant: upload a clip (progress from XHR upload events), then watch it go from
// processing to ready (with a still) or rejected (with the reason in plain words).
import { useEffect, useState } from 'preact/hooks';
import { API, ApiError, type UploadProgress, uploadRaw } from '../api';
import { Badge, ErrorBox, Loading } from '../components/ui';
import { bytes, dateTime } from '../format';
import { isKey, useI18n } from '../i18n';
import type { Creative, Page } from '../types';
import { useApi } from '../use-api';

const MAX_BYTES = 200 * 1024 * 1024;

export function Creatives() {
  const { t } = useI18n();
  const [processing, setProcessing] = useState(false);
  // Poll while any clip is still processing.
  const list = useApi<Page<Creative>>('/creatives?limit=500', processing ? 1500 : undefined);
  const items = list.data?.items ?? [];
  useEffect(() => setProcessing((list.data?.items ?? []).some((c) => c.status === 'processing')), [list.data]);
  return (
    <>
      <h1>{t('creatives.title')}</h1>
      <Upload onUploaded={list.reload} />
      <section class="card">
        <h2>{t('creatives.yours')}</h2>
        {list.error && <ErrorBox error={list.error} />}
        {list.loading && !list.data && <Loading />}
        {list.data && items.length === 0 && <p class="muted">{t('creatives.none')}</p>}
        <ul class="creative-list" data-testid="creatives">
          {items.map((c) => (
            <CreativeRow key={c.id} c={c} />
          ))}
        </ul>
      </section>
    </>
  );
}

function Upload({ onUploaded }: { onUploaded(): void }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [tooBig, setTooBig] = useState(false);

  const send = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setProgress({ loaded: 0, total: file.size });
    try {
      await uploadRaw<{ creative: Creative }>(`/creatives?name=${encodeURIComponent(file.name)}`, file, setProgress).done;
      setFile(null);
      (e.target as HTMLFormElement).reset();
      onUploaded();
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { error: 'network' }));
    } finally {
      setProgress(null);
    }
  };

  const ratio = progress && progress.total > 0 ? progress.loaded / progress.total : 0;
  return (
    <form class="card upload" onSubmit={(e) => void send(e)} data-testid="upload">
      <h2>{t('creatives.upload')}</h2>
      <p class="muted">{t('creatives.uploadHint')}</p>
      <input
        type="file"
        name="clip"
        accept="video/*"
        onChange={(e) => {
          const f = e.currentTarget.files?.[0] ?? null;
          setTooBig(!!f && f.size > MAX_BYTES);
          setFile(f);
        }}
      />
      {file && (
        <p class="muted">
          {file.name} · {bytes(file.size, lang)}
        </p>
      )}
      {tooBig && (
        <p class="error" role="alert">
          {t('error.too-large')}
        </p>
      )}
      {progress && (
        <div class="progress" data-testid="upload-progress">
          <progress max={1} value={ratio} aria-label={t('creatives.uploading')} />
          <span>{t('creatives.uploadingPct', { pct: Math.round(ratio * 100) })}</span>
        </div>
      )}
      {error &&
        (error.body.reason ? (
          <p class="error" role="alert" data-reason={error.body.reason}>
            {reasonText(error.body, i18n)}
          </p>
        ) : (
          <ErrorBox error={error} />
        ))}
      <button type="submit" class="primary" disabled={!file || tooBig || progress !== null}>
        {progress ? t('creatives.uploading') : t('creatives.send')}
      </button>
    </form>
  );
}

/**
 * The rejection reason in plain words. In English the server's sentence (it has the numbers);
 * in Chinese our sentence for the code; else whichever there is.
 */
function reasonText(c: { reason?: string | null; message?: string | null }, i18n: ReturnType<typeof useI18n>): string {
  if (i18n.lang === 'en' && c.message) return c.message;
  const key = `creatives.reason.${c.reason}`;
  if (c.reason && isKey(key)) return i18n.t(key);
  return c.message ?? c.reason ?? i18n.t('creatives.reason.unknown');
}

function CreativeRow({ c }: { c: Creative }) {
  const i18n = useI18n();
  const { t, lang } = i18n;
  const kind = c.status === 'ready' ? 'ok' : c.status === 'rejected' ? 'bad' : 'wait';
  return (
    <li class="creative" data-creative={c.id} data-status={c.status}>
      {c.status === 'ready' ? <img class="still" src={`${API}/creatives/${encodeURIComponent(c.id)}/preview.png`} alt={t('creatives.still', { name: c.name })} loading="lazy" /> : <div class="still placeholder" aria-hidden="true" />}
      <div>
        <strong>{c.name}</strong> <Badge kind={kind}>{t(`creative.${c.status}`)}</Badge>
        <p class="muted">
          {dateTime(c.createdAt, lang)} · {bytes(c.bytes, lang)}
          {c.durationMs !== null && ` · ${(c.durationMs / 1000).toFixed(1)} s`}
          {c.width !== null && c.height !== null && ` · ${c.width}×${c.height}`}
        </p>
        {c.status === 'processing' && <p class="muted">{t('creatives.processing')}</p>}
        {c.status === 'rejected' && (
          <p class="error" data-testid="reason">
            {reasonText(c, i18n)}
          </p>
        )}
      </div>
    </li>
  );
}
