// The API's JSON shapes as the console reads them (broker/API.md; the OpenAPI document at
// /api/v1/openapi.json is the source of truth).

export type Role = 'operator' | 'merchant';
export type DaypartId = 'night' | 'morning' | 'midday' | 'afternoon' | 'evening' | 'late';
export const DAYPARTS: readonly DaypartId[] = ['night', 'morning', 'midday', 'afternoon', 'evening', 'late'];
/** Site-local hours, the same in every language (API.md "Dayparts"). */
export const DAYPART_HOURS: Record<DaypartId, string> = { night: '00–06', morning: '06–10', midday: '10–14', afternoon: '14–17', evening: '17–21', late: '21–24' };

export interface Account {
  id: string;
  email: string;
  name: string;
  role: Role;
  merchantId: string | null;
  disabled: boolean;
  createdAt: string;
}

/** The merchant's shop, when /me carries it (it places the shop on the map). */
export interface Merchant {
  id: string;
  name: string;
  lat: number;
  lon: number;
}

export interface Me {
  account: Account;
  merchant?: Merchant | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Site {
  id: string;
  name: string;
  lat: number;
  lon: number;
  timezone: string;
  doors: { id: string; name?: string }[];
}

export interface Slot {
  date: string;
  daypart: DaypartId;
  capacityUnits: number;
  usedUnits: number;
  availableUnits: number;
  priceCents: number;
  expectedUnlocks: number;
  estimatedReach: number;
  estimatedResidents: number;
}

export interface SearchHit {
  site: Site;
  distanceKm: number;
  slots: Slot[];
}

export type CreativeStatus = 'processing' | 'ready' | 'rejected';
export interface Creative {
  id: string;
  merchantId: string;
  name: string;
  status: CreativeStatus;
  /** A machine code (upload-rules.ts UploadReason). */
  reason: string | null;
  /** The reason as a sentence for the shop owner, in English, with the numbers filled in. */
  message: string | null;
  bytes: number;
  durationMs: number | null;
  width: number | null;
  height: number | null;
  codec: string | null;
  createdAt: string;
}

export type CampaignStatus = 'booked' | 'active' | 'cancelled' | 'ended';
export interface Campaign {
  id: string;
  merchantId: string;
  name: string;
  status: CampaignStatus;
  sites: string[];
  dayparts: DaypartId[];
  dates: { from: string; to: string };
  units: number;
  creatives: string[];
  priceCents: number;
  /** How many site × date × daypart slots it holds. */
  slots?: number;
  createdAt: string;
  cancelledAt: string | null;
}

export interface ConflictSlot {
  site: string;
  date: string;
  daypart: DaypartId;
  availableUnits: number;
}

/** A report row; every number is null when the cell is suppressed (< minCohort residents). */
export interface ReportRow {
  key: string;
  plays: number | null;
  completed: number | null;
  completionRate: number | null;
  residents: number | null;
  suppressed: boolean;
}

export interface Report {
  campaignId: string;
  from: string;
  to: string;
  minCohort: number;
  totals: { plays: number | null; completed: number | null; completionRate: number | null; residents: number | null; anonymousPlays: number | null; suppressed: boolean };
  funnel: { stage: 'scheduled' | 'played' | 'completed'; count: number | null }[];
  frequency: { bucket: string; residents: number | null; suppressed?: boolean }[];
  byDay: ReportRow[];
  byDaypart: ReportRow[];
  bySite: ReportRow[];
  byDoor: ReportRow[];
}

export interface Device {
  site: string;
  device: string;
  online: boolean;
  lastSeen: string | null;
  agentVersion: string | null;
  manifestVersionApplied: number | null;
  manifestVersionPublished: number | null;
  outboxDepth: number | null;
  oldestUnsyncedAgeS: number | null;
}

export interface FillCell {
  site: string;
  daypart: DaypartId;
  capacityUnits: number;
  usedUnits: number;
  fill: number;
}

export interface Revenue {
  totalCents: number;
  currency: string;
  items: { site: string; daypart: DaypartId; cents: number }[];
}
