import type { RegistryFormat } from "../format.ts";
import { bankSemicolonFormat, createBankSemicolonFormat, type BankSemicolonProfile } from "./bank-semicolon.ts";
import { cardCsvFormat, createCardCsvFormat, type CardCsvProfile } from "./card-csv.ts";
import { arsenalpayCsvFormat, createArsenalpayCsvFormat, type ArsenalpayCsvProfile } from "./arsenalpay-csv.ts";
import { createQiwiKassaFormat, qiwiKassaFormat, type QiwiKassaProfile } from "./qiwi-kassa.ts";
import { createQiwiTabFormat, qiwiTabFormat, type QiwiTabProfile } from "./qiwi-tab.ts";
import { createSmsCsvFormat, smsCsvFormat, type SmsCsvProfile } from "./sms-csv.ts";

/**
 * The registry file formats by name (REGISTRIES.md §1-4), each with its documented defaults. A channel's registry
 * profile names one; a profile that differs from the defaults (primorye's column map, a network's `;` and cp1251)
 * builds its own with createRegistryFormat(name, settings).
 */

/** The settings each format accepts (all optional: the defaults are REGISTRIES.md's). */
export interface RegistryFormatSettings {
  "bank-semicolon": BankSemicolonProfile;
  "qiwi-tab": QiwiTabProfile;
  "card-csv": CardCsvProfile;
  "qiwi-kassa": QiwiKassaProfile;
  "arsenalpay-csv": ArsenalpayCsvProfile;
  "sms-csv": SmsCsvProfile;
}

export type RegistryFormatName = keyof RegistryFormatSettings;

const FACTORIES: { [N in RegistryFormatName]: (settings?: RegistryFormatSettings[N]) => RegistryFormat } = {
  "bank-semicolon": createBankSemicolonFormat,
  "qiwi-tab": createQiwiTabFormat,
  "card-csv": createCardCsvFormat,
  "qiwi-kassa": createQiwiKassaFormat,
  "arsenalpay-csv": createArsenalpayCsvFormat,
  "sms-csv": createSmsCsvFormat,
};

/** Indexed by a profile's `format` string: undefined for a name that is not a format (no prototype: "toString" too). */
export const REGISTRY_FORMATS: Readonly<Record<string, RegistryFormat>> = Object.freeze(Object.assign(Object.create(null) as Record<string, RegistryFormat>, {
  "bank-semicolon": bankSemicolonFormat,
  "qiwi-tab": qiwiTabFormat,
  "card-csv": cardCsvFormat,
  "qiwi-kassa": qiwiKassaFormat,
  "arsenalpay-csv": arsenalpayCsvFormat,
  "sms-csv": smsCsvFormat,
} satisfies Record<RegistryFormatName, RegistryFormat>));

export const REGISTRY_FORMAT_NAMES = Object.keys(FACTORIES) as RegistryFormatName[];

export function isRegistryFormatName(name: string): name is RegistryFormatName {
  return Object.hasOwn(FACTORIES, name);
}

/** A format with a profile's settings; throws on settings that cannot work (a column map out of range). */
export function createRegistryFormat<N extends RegistryFormatName>(name: N, settings?: RegistryFormatSettings[N]): RegistryFormat {
  return (FACTORIES[name] as (settings?: RegistryFormatSettings[N]) => RegistryFormat)(settings);
}

export { BANK_SEMICOLON_COLUMNS, parseBankSemicolon, type BankSemicolonColumns, type BankSemicolonProfile } from "./bank-semicolon.ts";
export { parseQiwiTab, type QiwiTabProfile } from "./qiwi-tab.ts";
export { parseCardCsv, type CardCsvProfile } from "./card-csv.ts";
export { parseQiwiKassa, type QiwiKassaProfile } from "./qiwi-kassa.ts";
export { parseArsenalpayCsv, type ArsenalpayCsvProfile } from "./arsenalpay-csv.ts";
export { parseSmsCsv, type SmsCsvProfile } from "./sms-csv.ts";
