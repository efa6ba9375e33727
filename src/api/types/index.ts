// The Engine API's wire shapes, one module per resource.
export type * from './common.ts';
export type * from './containers.ts';
export type * from './mounts.ts';
export type * from './networks.ts';
export type * from './images.ts';
export type * from './exec.ts';
export type * from './volumes.ts';
export type * from './system.ts';
export type * from './events.ts';
export type * from './build.ts';
export type * from './registry.ts';
export type * from './progress.ts';
