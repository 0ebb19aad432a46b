// Config of a udp-controller source (one listener, any number of controllers pushing to it).
import { z } from 'zod';
import { TimeZoneSchema } from '../../clock/time-zone.js';


/** The controllers' request port (get-event goes there when an address has no port). */
export const CONTROLLER_PORT = 60000;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** "192.168.1.100" or "192.168.1.100:60000" (the controllers speak IPv4 only). */
const ControllerAddress = z
  .string()
  .transform((s, ctx) => {
    const [host = '', port, ...rest] = s.split(':');
    const p = port === undefined ? CONTROLLER_PORT : Number(port);
    if (rest.length > 0 || !IPV4.test(host) || !Number.isInteger(p) || p < 1 || p > 65535) {
      ctx.addIssue({ code: 'custom', message: 'an IPv4 address, optionally with :port, e.g. 192.168.1.100:60000' });
      return z.NEVER;
    }
    return { host, port: p };
  });

export const UdpControllerSourceSchema = z.strictObject({
  kind: z.literal('udp-controller'),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and -, at most 64'),
  /** Address to listen on; the controllers are set to push here (set-listener). */
  host: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(60001),
  /**
   * Accepted controllers; absent: any. Packets from others are refused and counted. With an
   * address, packets claiming that serial from another IP are refused too, and get-event
   * requests go to that address instead of the one the push came from.
   */
  controllers: z
    .array(z.strictObject({ serial: z.number().int().min(1).max(0xffffffff), address: ControllerAddress.optional() }))
    .max(64)
    .refine((cs) => new Set(cs.map((c) => c.serial)).size === cs.length, 'each serial once')
    .optional(),
  /** The zone of the controllers' clocks (they keep local time without a zone). */
  timezone: TimeZoneSchema.default('UTC'),
  /** Largest index gap fetched with get-event; older missing events are counted lost. */
  maxCatchUp: z.number().int().min(0).max(10_000).default(500),
});

export type UdpControllerSourceInput = z.input<typeof UdpControllerSourceSchema>;
export type UdpControllerSourceConfig = z.infer<typeof UdpControllerSourceSchema>;
