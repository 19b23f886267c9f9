/// <reference path="./ucum-lhc.d.ts" />
import type { Feature, UnitConverter } from '@cairn/core';
import ucum from '@lhncbc/ucum-lhc';
import { CODE_SYSTEMS } from './systems.js';

/**
 * Molar masses (g/mol) of common analytes by LOINC code, for mg/dL ↔ mmol/L. UCUM itself knows
 * no substances; these are the values laboratories use for the conventional conversion factors
 * (glucose 18.016, cholesterol 38.67, triglycerides 88.57, creatinine 88.4).
 */
export const MOLAR_MASS_BY_LOINC: Readonly<Record<string, number>> = {
  // Glucose C6H12O6
  '2339-0': 180.156,
  '2345-7': 180.156,
  '1558-6': 180.156,
  '41653-7': 180.156,
  '15074-8': 180.156,
  '14749-6': 180.156,
  '14771-0': 180.156,
  // Cholesterol C27H46O (total, HDL, LDL are all reported as cholesterol)
  '2093-3': 386.654,
  '14647-2': 386.654,
  '2085-9': 386.654,
  '14646-4': 386.654,
  '18262-6': 386.654,
  '13457-7': 386.654,
  '2089-1': 386.654,
  '22748-8': 386.654,
  '39469-2': 386.654,
  // Triglycerides, as triolein
  '2571-8': 885.7,
  '14927-8': 885.7,
  // Creatinine C4H7N3O
  '2160-0': 113.12,
  '38483-4': 113.12,
  '14682-9': 113.12,
  '59826-8': 113.12,
};

/** Result of a unit conversion: the value, or why it could not be converted. */
export type UnitConversionResult =
  | { readonly ok: true; readonly value: number; readonly factorText: string }
  | { readonly ok: false; readonly reason: string };

/** Options of {@link convertUnit}. */
export interface ConvertUnitOptions {
  /** Molar mass of the substance in g/mol; needed between mass and amount of substance (mg/dL ↔ mmol/L). */
  molecularWeight?: number;
}

type Utils = ReturnType<typeof ucum.UcumLhcUtils.getInstance>;
let utils: Utils | undefined;
function ucumUtils(): Utils {
  // Loading the UCUM tables takes ~20 ms: do it on first use, not at import.
  utils ??= ucum.UcumLhcUtils.getInstance();
  return utils;
}

const validity = new Map<string, boolean>();

/** True when `code` is a valid case-sensitive UCUM unit expression. */
export function isUcumCode(code: string): boolean {
  let ok = validity.get(code);
  if (ok === undefined) {
    try {
      ok = ucumUtils().validateUnitString(code).status === 'valid';
    } catch {
      ok = false;
    }
    if (validity.size < 10_000) validity.set(code, ok);
  }
  return ok;
}

// Ratios of amounts (mmol/mol, mEq/L-style) or annotated counts look dimensionless to UCUM, so
// UCUM would happily turn IFCC HbA1c 48 mmol/mol into "4.8 %" — a silently wrong number.
function riskyDimensionless(code: string): boolean {
  return /mol|eq|\{/.test(code);
}

function isDimensionless(u: { dim_: { dimVec_: readonly number[] } | null } | undefined): boolean {
  return !u?.dim_ || u.dim_.dimVec_.every((d) => d === 0);
}

function round(value: number): number {
  return Number(value.toPrecision(12));
}

/** Converts `value` from UCUM unit `from` to `to` with ucum-lhc; never throws. */
export function convertUnit(value: number, from: string, to: string, options: ConvertUnitOptions = {}): UnitConversionResult {
  if (!Number.isFinite(value)) return { ok: false, reason: `value ${value} is not a finite number` };
  if (from === to) return { ok: true, value, factorText: 'none' };
  if (!isUcumCode(from)) return { ok: false, reason: `'${from}' is not a UCUM unit code` };
  if (!isUcumCode(to)) return { ok: false, reason: `'${to}' is not a UCUM unit code` };
  const mw = options.molecularWeight;
  if (mw !== undefined && !(Number.isFinite(mw) && mw > 0))
    return { ok: false, reason: `molecular weight ${mw} must be a positive number` };
  let result: ReturnType<Utils['convertUnitTo']>;
  try {
    result = ucumUtils().convertUnitTo(from, value, to, mw === undefined ? {} : { molecularWeight: mw });
  } catch (cause) {
    return { ok: false, reason: `UCUM conversion ${from} → ${to} failed: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
  if (result.status !== 'succeeded' || typeof result.toVal !== 'number' || !Number.isFinite(result.toVal)) {
    const why = result.msg.join(' ');
    const needsMw = /molecular weight/i.test(why);
    return {
      ok: false,
      reason: needsMw
        ? `${from} → ${to} converts between mass and amount of substance and needs the molar mass (set molecularWeight)`
        : `${from} cannot be converted to ${to}${why ? ` (${why})` : ''}`,
    };
  }
  if (isDimensionless(result.fromUnit) && isDimensionless(result.toUnit) && (riskyDimensionless(from) || riskyDimensionless(to))) {
    return { ok: false, reason: `${from} and ${to} are different kinds of ratio; UCUM cannot convert between them safely` };
  }
  const molar = result.fromUnit && result.toUnit && result.fromUnit.moleExp_ !== result.toUnit.moleExp_;
  return { ok: true, value: round(result.toVal), factorText: molar && mw !== undefined ? `UCUM, molar mass ${mw} g/mol` : 'UCUM' };
}

/** Molar mass for a feature: an explicit one, else one known for the feature's LOINC codes. */
export function molarMassFor(codes: ReadonlyArray<{ system: string; code: string }> | undefined): number | undefined {
  for (const c of codes ?? []) {
    if (c.system === CODE_SYSTEMS.loinc) {
      const mw = MOLAR_MASS_BY_LOINC[c.code];
      if (mw !== undefined) return mw;
    }
  }
  return undefined;
}

/** Options of {@link createUcumConverter}. */
export interface UcumConverterOptions {
  /** Molar masses in g/mol by feature name; otherwise looked up from the feature's LOINC codes. */
  molecularWeights?: Readonly<Record<string, number>>;
}

/**
 * A {@link UnitConverter} for @cairn/core's validator built on ucum-lhc, so records may give
 * values as `{ value, unit }` in any convertible UCUM unit.
 */
export function createUcumConverter(options: UcumConverterOptions = {}): UnitConverter {
  return (value: number, from: string, to: string, feature: Feature) => {
    const molecularWeight = options.molecularWeights?.[feature.name] ?? molarMassFor(feature.codes);
    const r = convertUnit(value, from, to, molecularWeight === undefined ? {} : { molecularWeight });
    return r.ok ? r.value : undefined;
  };
}
