import { ACCOUNT_NUMBER_FORMAT } from "../../adapters/contract/index.ts";

/** How a payer may have mistyped an account number: the rule that turns the real number into the one sent. */
export type SimilarityRule = "one digit changed" | "adjacent digits swapped" | "one digit missing" | "one digit extra";

const DIGITS = "0123456789";

/**
 * The account numbers the payer may have meant, each with the typing mistake that explains the number sent: one digit
 * changed (100081 for 100181), two adjacent digits swapped (100018 for 100081), one digit missing (10080 for 100080:
 * every digit inserted at every place) or one digit extra (1000800 for 100080). Only valid account numbers (1 to 12
 * digits), never the number itself; where two rules give the same number, the first in that order names it.
 * At most 9n + (n − 1) + 10(n + 1) + n candidates for n digits: about 140 for a 6-digit number, looked up at once.
 */
export function similarAccountNumbers(number: string): Map<string, SimilarityRule> {
  const candidates = new Map<string, SimilarityRule>();
  const add = (candidate: string, rule: SimilarityRule) => {
    if (candidate !== number && ACCOUNT_NUMBER_FORMAT.test(candidate) && !candidates.has(candidate)) candidates.set(candidate, rule);
  };
  for (let i = 0; i < number.length; i += 1) {
    for (const digit of DIGITS) add(number.slice(0, i) + digit + number.slice(i + 1), "one digit changed");
  }
  for (let i = 0; i + 1 < number.length; i += 1) {
    add(number.slice(0, i) + number[i + 1] + number[i] + number.slice(i + 2), "adjacent digits swapped");
  }
  for (let i = 0; i <= number.length; i += 1) {
    for (const digit of DIGITS) add(number.slice(0, i) + digit + number.slice(i), "one digit missing");
  }
  for (let i = 0; i < number.length; i += 1) add(number.slice(0, i) + number.slice(i + 1), "one digit extra");
  return candidates;
}
