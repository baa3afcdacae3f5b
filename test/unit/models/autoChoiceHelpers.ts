import { nominalBits } from "../../../src/core/models/quantTypes";
export {
  compareSelectionKeys,
  ladderWeights,
  sumEstimates,
  type LadderQuant,
  type Option,
  type QuantPolicy,
} from "../../../src/core/models/selectModel";

export function nominalBitsOf(quant: string): number {
  return nominalBits(quant) ?? 0;
}
