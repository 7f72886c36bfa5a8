import { describe, expect, it } from "vitest";
import { maskOwnerName } from "../../adapters/contract/mask.ts";

// What a payer who only knows an account number sees of its owner (OSMP check's <fio>, the accounts API):
// enough to recognise the account, too little to learn who lives there.

describe("maskOwnerName", () => {
  it.each([
    ["Иванов Иван Иванович", "И***в И. И."],
    ["Петрова Мария Сергеевна", "П***а М. С."],
    ["Иванов", "И***в"],
    ["Иванов Иван", "И***в И."],
    ["Ким Ирина", "К***м И."],
    ["Ли Мин", "Л* М."],
    ["Ю", "Ю*"],
    ["  Петрова   Мария\tСергеевна \n", "П***а М. С."],
    ["Римский-Корсаков Николай Андреевич", "Р***в Н. А."],
    ["Smith John", "S***h J."],
  ])("when the owner is %j, then the payer sees %j", (fullName, masked) => {
    expect(maskOwnerName(fullName)).toBe(masked);
  });

  it("when the name is empty or blank, then nothing is shown", () => {
    expect(maskOwnerName("")).toBe("");
    expect(maskOwnerName("   \t ")).toBe("");
  });

  it("when two surnames differ only in length or inner letters, then their masks are the same (length is not revealed)", () => {
    expect(maskOwnerName("Иванов Иван")).toBe(maskOwnerName("Игнатьев Иван"));
    expect(maskOwnerName("Иваненков Пётр")).toBe("И***в П.");
  });

  it("when the name holds letters outside the Basic Multilingual Plane, then they are not split in half", () => {
    const masked = maskOwnerName("𝓐bc𝓩 𝓑ob");
    expect(masked).toBe("𝓐***𝓩 𝓑.");
    expect(masked).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it("when the full name is masked, then no given name or patronymic appears in full", () => {
    const masked = maskOwnerName("Кузнецова Ольга Викторовна");
    for (const word of ["Кузнецова", "Ольга", "Викторовна"]) expect(masked).not.toContain(word);
  });
});
