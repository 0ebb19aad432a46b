export { ControllerEmulator, type EmulatorOptions, type EmulatorStats, type NoiseOptions } from './controller.js';
export { type DriverOptions, TrafficDriver } from './driver.js';
export { EventRing, type RingOptions } from './ring.js';
export { HOURLY_PROFILE, type PlannedEvent, prng, type Resident, ratePerHour, Traffic, type TrafficOptions } from './traffic.js';
export { onSerial, onTcp, type Transport } from './transport.js';
