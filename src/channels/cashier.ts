import { rubles } from "../env-fields.ts";
import { CASHIER_CHANNEL } from "../ledger/ledger-accounts.ts";
import { defineChannel } from "./channel.ts";

/**
 * Cash at the office desks: taken by a signed-in cashier (the staff API and pages, src/cashier), so no provider route.
 * Its profile is the desk's code, and the ledger's counter account of a cash payment is that desk's cash account, not
 * a clearing account (src/ledger/ledger-accounts.ts).
 */
export const cashierChannel = defineChannel({
  key: "cashier",
  channelIds: [CASHIER_CHANNEL],
  // No payment for this long in these hours (Vladivostok) is alerted (CHANNEL_SILENCE overrides it): the offices' opening hours.
  silence: "2h@09-19",
  clearingAccounts: false,
  environment: {
    variables: {
      CASHIER_MIN_SUM: rubles("1.00"),
      CASHIER_MAX_SUM: rubles("100000.00"),
    },
    read: (values, problems) => {
      const settings = { minKopecks: values.CASHIER_MIN_SUM as bigint, maxKopecks: values.CASHIER_MAX_SUM as bigint };
      if (settings.minKopecks > settings.maxKopecks) problems.push("CASHIER_MIN_SUM: must not exceed CASHIER_MAX_SUM");
      return settings;
    },
  },
});
