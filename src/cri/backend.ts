// What the CRI edge needs from the engine: one handler per RPC, in the protocol's own
// shapes (src/cri-types). daemon/ wires services behind it. An RPC without a handler
// answers UNIMPLEMENTED naming itself.
import type { EventEmitter } from 'node:events';
import type { Duplex, Readable, Writable } from 'node:stream';
import type * as cri from '../cri-types/api.ts';

/** A call's context: aborted when the client cancels or its deadline passes. */
export interface CallContext {
  signal: AbortSignal;
}

export type Unary<Req, Res> = (req: cri.Decoded<Req>, ctx: CallContext) => Promise<Res>;
/** A server stream: write() sends one message; the promise ends the stream (or fails it). */
export type ServerStream<Req, Res> = (
  req: cri.Decoded<Req>,
  out: { write(msg: Res): void } & CallContext,
) => Promise<void>;

export interface RuntimeBackend {
  Version: Unary<cri.VersionRequest, cri.VersionResponse>;
  Status: Unary<cri.StatusRequest, cri.StatusResponse>;
  RuntimeConfig: Unary<cri.RuntimeConfigRequest, cri.RuntimeConfigResponse>;
  UpdateRuntimeConfig: Unary<cri.UpdateRuntimeConfigRequest, cri.UpdateRuntimeConfigResponse>;
  RunPodSandbox?: Unary<cri.RunPodSandboxRequest, cri.RunPodSandboxResponse>;
  StopPodSandbox?: Unary<cri.StopPodSandboxRequest, cri.StopPodSandboxResponse>;
  RemovePodSandbox?: Unary<cri.RemovePodSandboxRequest, cri.RemovePodSandboxResponse>;
  PodSandboxStatus?: Unary<cri.PodSandboxStatusRequest, cri.PodSandboxStatusResponse>;
  ListPodSandbox?: Unary<cri.ListPodSandboxRequest, cri.ListPodSandboxResponse>;
  StreamPodSandboxes?: ServerStream<cri.StreamPodSandboxesRequest, cri.StreamPodSandboxesResponse>;
  CreateContainer?: Unary<cri.CreateContainerRequest, cri.CreateContainerResponse>;
  StartContainer?: Unary<cri.StartContainerRequest, cri.StartContainerResponse>;
  StopContainer?: Unary<cri.StopContainerRequest, cri.StopContainerResponse>;
  RemoveContainer?: Unary<cri.RemoveContainerRequest, cri.RemoveContainerResponse>;
  ListContainers?: Unary<cri.ListContainersRequest, cri.ListContainersResponse>;
  StreamContainers?: ServerStream<cri.StreamContainersRequest, cri.StreamContainersResponse>;
  ContainerStatus?: Unary<cri.ContainerStatusRequest, cri.ContainerStatusResponse>;
  UpdateContainerResources?: Unary<cri.UpdateContainerResourcesRequest, cri.UpdateContainerResourcesResponse>;
  ReopenContainerLog?: Unary<cri.ReopenContainerLogRequest, cri.ReopenContainerLogResponse>;
  ExecSync?: Unary<cri.ExecSyncRequest, cri.ExecSyncResponse>;
  Exec?: Unary<cri.ExecRequest, cri.ExecResponse>;
  Attach?: Unary<cri.AttachRequest, cri.AttachResponse>;
  PortForward?: Unary<cri.PortForwardRequest, cri.PortForwardResponse>;
  ContainerStats?: Unary<cri.ContainerStatsRequest, cri.ContainerStatsResponse>;
  ListContainerStats?: Unary<cri.ListContainerStatsRequest, cri.ListContainerStatsResponse>;
  StreamContainerStats?: ServerStream<cri.StreamContainerStatsRequest, cri.StreamContainerStatsResponse>;
  PodSandboxStats?: Unary<cri.PodSandboxStatsRequest, cri.PodSandboxStatsResponse>;
  ListPodSandboxStats?: Unary<cri.ListPodSandboxStatsRequest, cri.ListPodSandboxStatsResponse>;
  StreamPodSandboxStats?: ServerStream<cri.StreamPodSandboxStatsRequest, cri.StreamPodSandboxStatsResponse>;
  GetContainerEvents?: ServerStream<cri.GetEventsRequest, cri.ContainerEventResponse>;
  ListMetricDescriptors?: Unary<cri.ListMetricDescriptorsRequest, cri.ListMetricDescriptorsResponse>;
  ListPodSandboxMetrics?: Unary<cri.ListPodSandboxMetricsRequest, cri.ListPodSandboxMetricsResponse>;
  StreamPodSandboxMetrics?: ServerStream<cri.StreamPodSandboxMetricsRequest, cri.StreamPodSandboxMetricsResponse>;
  UpdatePodSandboxResources?: Unary<cri.UpdatePodSandboxResourcesRequest, cri.UpdatePodSandboxResourcesResponse>;
}

/** The streams of an exec or attach session, as the client opened them. */
export interface StreamIo {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
  /** Terminal sizes the client sends (TTY only). */
  resizes: EventEmitter<{ resize: [{ width: number; height: number }] }>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/**
 * What the streaming server runs once a client has connected to the URL an Exec, Attach or
 * PortForward call returned. Exec answers the process's exit code.
 */
export interface StreamingBackend {
  exec(req: cri.Decoded<cri.ExecRequest>, io: StreamIo): Promise<number>;
  attach(req: cri.Decoded<cri.AttachRequest>, io: StreamIo): Promise<void>;
  /** Copies between `conn` and the port inside the pod's network namespace until either ends. */
  portForward(podSandboxId: string, port: number, conn: Duplex, signal: AbortSignal): Promise<void>;
}

export interface ImageBackend {
  ListImages: Unary<cri.ListImagesRequest, cri.ListImagesResponse>;
  StreamImages?: ServerStream<cri.StreamImagesRequest, cri.StreamImagesResponse>;
  ImageStatus: Unary<cri.ImageStatusRequest, cri.ImageStatusResponse>;
  PullImage: Unary<cri.PullImageRequest, cri.PullImageResponse>;
  RemoveImage: Unary<cri.RemoveImageRequest, cri.RemoveImageResponse>;
  ImageFsInfo: Unary<cri.ImageFsInfoRequest, cri.ImageFsInfoResponse>;
}
