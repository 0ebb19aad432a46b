// The sites around the shop on a plain SVG (no tile server: the broker may have no internet).
// Equirectangular around the shop, which is exact enough over a few kilometres.
import { useI18n } from '../i18n';

export interface MapSite {
  id: string;
  name: string;
  lat: number;
  lon: number;
  distanceKm: number;
  /** 0..1 share of the searched slots with room; null when none were searched. */
  available: number | null;
  selected: boolean;
}

const SIZE = 320;
const KM_PER_DEG = 111.32;

export function SiteMap({ shop, sites, radiusKm, onToggle }: { shop: { lat: number; lon: number }; sites: MapSite[]; radiusKm: number; onToggle(id: string): void }) {
  const { t } = useI18n();
  const half = SIZE / 2;
  const scale = (half - 24) / Math.max(radiusKm, 0.1);
  const cos = Math.cos((shop.lat * Math.PI) / 180);
  const at = (s: { lat: number; lon: number }) => {
    const x = half + (s.lon - shop.lon) * KM_PER_DEG * cos * scale;
    const y = half - (s.lat - shop.lat) * KM_PER_DEG * scale;
    return { x: Math.max(10, Math.min(SIZE - 10, x)), y: Math.max(10, Math.min(SIZE - 10, y)) };
  };
  const colour = (a: number | null) => (a === null ? '#9aa5b1' : a >= 0.999 ? '#1f9d55' : a > 0 ? '#d98a00' : '#c0392b');
  return (
    <svg class="site-map" viewBox={`0 0 ${SIZE} ${SIZE}`} role="img" aria-labelledby="site-map-title" data-testid="site-map">
      <title id="site-map-title">{t('find.mapTitle')}</title>
      <rect x="0" y="0" width={SIZE} height={SIZE} fill="#f3f6f9" />
      {[0.5, 1].map((f) => (
        <g key={f}>
          <circle cx={half} cy={half} r={(half - 24) * f} fill="none" stroke="#c9d3dd" stroke-dasharray="4 4" />
          <text x={half + 4} y={half - (half - 24) * f - 4} class="map-ring">
            {`${Math.round(radiusKm * f * 10) / 10} km`}
          </text>
        </g>
      ))}
      <g class="map-shop">
        <rect x={half - 7} y={half - 7} width="14" height="14" rx="3" fill="#2457a6" />
        <text x={half} y={half + 20} text-anchor="middle">
          {t('find.shop')}
        </text>
      </g>
      {sites.map((s) => {
        const p = at(s);
        return (
          // biome-ignore lint/a11y/useSemanticElements: an SVG mark cannot be a <button>; it has role, name, focus and keys
          <g
            key={s.id}
            class={s.selected ? 'map-site selected' : 'map-site'}
            role="button"
            tabIndex={0}
            aria-pressed={s.selected}
            aria-label={`${s.name}, ${s.distanceKm.toFixed(1)} km`}
            data-site={s.id}
            onClick={() => onToggle(s.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                onToggle(s.id);
              }
            }}
          >
            {/* A 22 px radius keeps the tap target over 44 px on a phone. */}
            <circle cx={p.x} cy={p.y} r="22" fill="transparent" />
            <circle cx={p.x} cy={p.y} r={s.selected ? 10 : 8} fill={colour(s.available)} stroke={s.selected ? '#111' : '#fff'} stroke-width="2" />
            <text x={p.x + 12} y={p.y - 10} class="map-label">
              {s.name}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
