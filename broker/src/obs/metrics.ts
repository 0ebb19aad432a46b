// Every broker metric, registered on the Registry it is given (never the global one), so
// several brokers can live in one test process.
import { Counter, Gauge, Registry } from 'prom-client';

export { Registry };

export class BrokerMetrics {
  readonly authTotal: Counter<'result'>;
  readonly aclDenied: Counter<'action'>;
  readonly payloadRejected: Counter<'kind' | 'reason'>;
  readonly recordsCommitted: Counter<'kind' | 'result'>;
  readonly acksSent: Counter<'kind' | 'status'>;
  readonly storeFailures: Counter<'kind'>;
  readonly sessionsRevoked: Counter;
  readonly willsSuppressed: Counter;
  readonly oversizedPackets: Counter<'transport'>;
  readonly manifestsPublished: Counter;
  readonly manifestCampaignsSkipped: Counter<'reason'>;
  readonly httpRequests: Counter<'route' | 'status'>;
  readonly connectedClients: Gauge<'kind'>;

  constructor(readonly registry: Registry) {
    const r = [registry];
    this.authTotal = new Counter({ name: 'doorcast_broker_auth_total', help: 'MQTT and HTTP authentications by result', labelNames: ['result'], registers: r });
    this.aclDenied = new Counter({ name: 'doorcast_broker_acl_denied_total', help: 'Publishes and subscriptions refused by the topic ACL', labelNames: ['action'], registers: r });
    this.payloadRejected = new Counter({ name: 'doorcast_broker_payload_rejected_total', help: 'Device payloads refused, by topic kind and reason', labelNames: ['kind', 'reason'], registers: r });
    this.recordsCommitted = new Counter({ name: 'doorcast_broker_records_total', help: 'Records received in valid batches: inserted, duplicate or conflict', labelNames: ['kind', 'result'], registers: r });
    this.acksSent = new Counter({ name: 'doorcast_broker_acks_total', help: 'Application acks published', labelNames: ['kind', 'status'], registers: r });
    this.storeFailures = new Counter({ name: 'doorcast_broker_store_failures_total', help: 'Batches the store failed to commit (no ack sent)', labelNames: ['kind'], registers: r });
    this.sessionsRevoked = new Counter({ name: 'doorcast_broker_sessions_revoked_total', help: 'Connections closed because their credential was revoked or rotated', registers: r });
    this.willsSuppressed = new Counter({ name: 'doorcast_broker_wills_suppressed_total', help: 'Last wills not published because a newer connection took over', registers: r });
    this.oversizedPackets = new Counter({ name: 'doorcast_broker_oversized_packets_total', help: 'Connections closed for announcing an MQTT packet over the limit', labelNames: ['transport'], registers: r });
    this.manifestsPublished = new Counter({ name: 'doorcast_broker_manifests_published_total', help: 'Signed manifests published (new versions)', registers: r });
    this.manifestCampaignsSkipped = new Counter({ name: 'doorcast_broker_manifest_campaigns_skipped_total', help: 'Campaigns left out of a manifest', labelNames: ['reason'], registers: r });
    this.httpRequests = new Counter({ name: 'doorcast_broker_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: r });
    this.connectedClients = new Gauge({ name: 'doorcast_broker_connected_clients', help: 'Authenticated MQTT connections', labelNames: ['kind'], registers: r });
  }
}
