// Wire shapes the CLI reads (a subset of the Engine API's; extra fields pass through).

export interface ContainerCreateResponse {
  Id: string;
  Warnings?: string[] | null;
}

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface MountPoint {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  Driver?: string;
  Mode?: string;
  RW?: boolean;
}

export interface ContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image?: string;
  ImageID?: string;
  Command?: string;
  Created?: number;
  Ports?: PortSummary[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
  Mounts?: MountPoint[] | null;
}

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created?: number;
  Size?: number;
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

export interface ContainerInspect {
  Id: string;
  Name?: string;
  Config?: { Tty?: boolean; [k: string]: unknown };
  State?: { Running?: boolean; Status?: string; ExitCode?: number; [k: string]: unknown };
  [k: string]: unknown;
}

export interface WaitResponse {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags?: string[] | null;
  Size: number;
  Comment: string;
}

export interface PruneContainersResponse {
  ContainersDeleted?: string[] | null;
  SpaceReclaimed?: number;
}

export interface PruneImagesResponse {
  ImagesDeleted?: ImageDeleteItem[] | null;
  SpaceReclaimed?: number;
}

export type Filters = Record<string, Record<string, boolean>>;
