// Shared shape rule of the elementwise binary ops: both inputs have one shape (no broadcasting).
import { requireSameShape, type Shape } from '../shapes.ts';

export function sameShapeOutput(name: string) {
  return ([left, right]: readonly Shape[]): Shape => {
    requireSameShape(left!, right!, name);
    return left!;
  };
}
