/** An axis-aligned box in an image's pixels. */
export interface ImageBox {
  left: number;
  top: number;
  width: number;
  height: number;
}
