// @lhncbc/ucum-lhc ships no type declarations; this covers the calls the adapter makes.
declare module '@lhncbc/ucum-lhc' {
  interface UcumUnitInfo {
    readonly csCode_: string;
    readonly moleExp_: number;
    readonly isArbitrary_: boolean;
    readonly dim_: { readonly dimVec_: readonly number[] } | null;
  }
  interface UcumConversion {
    readonly status: 'succeeded' | 'failed' | 'error';
    readonly toVal: number | null;
    readonly msg: readonly string[];
    readonly fromUnit?: UcumUnitInfo;
    readonly toUnit?: UcumUnitInfo;
  }
  interface UcumValidation {
    readonly status: 'valid' | 'invalid' | 'error';
    readonly ucumCode: string | null;
    readonly msg: readonly string[];
  }
  interface UcumLhcUtils {
    convertUnitTo(
      fromUnitCode: string,
      fromVal: number,
      toUnitCode: string,
      options?: { molecularWeight?: number; suggest?: boolean },
    ): UcumConversion;
    validateUnitString(unit: string, suggest?: boolean): UcumValidation;
  }
  const ucum: { UcumLhcUtils: { getInstance(): UcumLhcUtils } };
  export default ucum;
}
