import { describe, expect, it } from "vitest";
import { splitSentences } from "../../oracle/models/index.js";

describe("splitSentences", () => {
  it("splits on terminators followed by whitespace", () => {
    expect(splitSentences("One. Two! Three? Four")).toEqual(["One.", "Two!", "Three?", "Four"]);
  });

  it("keeps decimals, abbreviations, initials and URLs inside a sentence", () => {
    expect(splitSentences("Dr. Smith paid $3.50 at example.com today. J. R. R. Tolkien wrote it, e.g. in 1937. Done.")).toEqual([
      "Dr. Smith paid $3.50 at example.com today.",
      "J. R. R. Tolkien wrote it, e.g. in 1937.",
      "Done.",
    ]);
  });

  it("splits on line breaks and keeps closing quotes with their sentence", () => {
    expect(splitSentences('He said "stop." Then left.\nNew paragraph\n\nAnother')).toEqual(['He said "stop."', "Then left.", "New paragraph", "Another"]);
  });

  it("treats runs of terminators as one boundary", () => {
    expect(splitSentences("Really?! Yes... Fine.")).toEqual(["Really?!", "Yes...", "Fine."]);
  });

  it("does not split before a lower-case continuation", () => {
    expect(splitSentences("It costs approx. five dollars. Ok.")).toEqual(["It costs approx. five dollars.", "Ok."]);
  });

  it("handles CJK full stops without spaces", () => {
    expect(splitSentences("今日は晴れ。明日は雨！")).toEqual(["今日は晴れ。", "明日は雨！"]);
  });

  it("returns nothing for empty or blank text and trims", () => {
    expect(splitSentences("")).toEqual([]);
    expect(splitSentences("  \n\t ")).toEqual([]);
    expect(splitSentences("  padded sentence .  ")).toEqual(["padded sentence ."]);
  });

  it("handles pre-tokenised text (spaces before periods)", () => {
    expect(splitSentences("the team 's coach left . he was replaced .")).toEqual(["the team 's coach left .", "he was replaced ."]);
  });
});
