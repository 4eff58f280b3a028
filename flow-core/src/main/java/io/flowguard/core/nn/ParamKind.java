package io.flowguard.core.nn;

/** What a block of parameters is, which decides how the optimizer treats it. */
public enum ParamKind {
  /** A weight matrix: trained, and subject to weight decay when decay is on. */
  WEIGHT,
  /** A bias or scale/shift: trained, never decayed. */
  BIAS,
  /** State that is part of the model but never trained (e.g. ActNorm's "initialized" flag). */
  STATE
}
