/**
 * What a capture source hands to the pipeline for each frame. The bytes live in `buf`
 * from `offset` for `caplen` bytes and are valid only during the callback: the reader
 * reuses its chunks, so anything kept must be copied.
 */
export interface Frame {
  buf: Buffer;
  offset: number;
  caplen: number;
  /** Length of the frame on the wire (caplen is smaller when the snaplen cut it). */
  wireLen: number;
  /** Record time in integer microseconds since the epoch. */
  tsUs: number;
  linkType: number;
  /** 1-based index of the frame in its capture, as tshark numbers frames. */
  index: number;
}

export type FrameHandler = (frame: Frame) => void;
