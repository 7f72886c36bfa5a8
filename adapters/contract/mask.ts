/**
 * Masks a contract owner's name for a payer who only knows an account number: "Иванов Иван Иванович" →
 * "И***в И. И.". Enough for the payer to recognise the account, too little to learn who lives there.
 */
export function maskOwnerName(fullName: string): string {
  const words = fullName.trim().split(/\s+/u).filter((word) => word.length > 0);
  const [surname, ...rest] = words;
  if (!surname) return "";
  const letters = Array.from(surname);
  const maskedSurname =
    letters.length <= 2 ? `${letters[0]}*` : `${letters[0]}***${letters[letters.length - 1]}`;
  const initials = rest.map((word) => `${Array.from(word)[0]}.`);
  return [maskedSurname, ...initials].join(" ");
}
