/**
 * Grounding evaluators (issue 14, "the signal that pays"): real behaviour on small
 * hand-written examples. A fabricated entity, number or statement lowers the score; a faithful
 * paraphrase does not; a contradicted source statement caps the composite like degenerate text.
 */
import { describe, expect, it } from "vitest";
import {
  capReason,
  committal,
  contentSupport,
  entitySupport,

  numberAgreement,
  sourceConsistency,
  sourceViews,
  stem,
  vocabulary,
} from "../../oracle/scoring/evaluators/grounding.js";
import { degenerateReason } from "../../oracle/scoring/text.js";

const DEPOT =
  "The city council of Riverton voted on Tuesday to convert the old railway depot into a public library. " +
  "The building, which has been empty since 1998, will be renovated over two years at a cost of 4.2 million dollars. " +
  "Residents had campaigned for the project for a decade.";
const TRAINS =
  "A regional train operator will add late-night services on weekends starting in March. " +
  "The operator said the change responds to a survey, and that ticket prices will not increase.";
const SEAGRASS =
  "Researchers found that seagrass meadows store carbon up to twice as fast as tropical forests per hectare. " +
  "They warn that the meadows are disappearing because of dredging, and that their loss releases stored carbon.";

describe("stemming", () => {
  it("joins inflections of one word", () => {
    expect(stem("thriving")).toBe(stem("thrive"));
    expect(stem("renovated")).toBe(stem("renovate"));
    expect(stem("stores")).toBe(stem("store"));
    expect(stem("council's")).toBe("council");
  });
});

describe("source.support", () => {
  const vocab = vocabulary([DEPOT]);
  it("is 1 for an extractive or inflected restatement", () => {
    expect(contentSupport("The council will convert the old depot into a library.", vocab)).toBe(1);
    expect(contentSupport("Riverton's council voted to convert the depot, renovating it over two years.", vocab)).toBe(1);
  });
  it("drops with invented content", () => {
    const faithful = contentSupport("The council voted to convert the depot into a library.", vocab);
    const invented = contentSupport("The council voted to demolish the depot and build a shopping mall.", vocab);
    expect(invented).toBeLessThan(faithful);
    expect(invented).toBeLessThan(0.7);
  });
  it("is 1 when the output has no content words", () => {
    expect(contentSupport("It is.", vocab)).toBe(1);
  });
});

describe("source.consistency", () => {
  it("flags an opposite of the source statement", () => {
    const r = sourceConsistency("Riverton's council voted to demolish the railway depot and build a shopping mall.", sourceViews(DEPOT));
    expect(r.score).toBe(0);
    expect(r.flips).toHaveLength(1);
  });
  it("flags cancelling what the source adds and asserting what it negates", () => {
    expect(sourceConsistency("The operator will cancel all weekend trains from March.", sourceViews(TRAINS)).score).toBe(0);
    expect(sourceConsistency("The operator said ticket prices will increase.", sourceViews(TRAINS)).score).toBe(0);
  });
  it("flags a state the source reverses", () => {
    expect(sourceConsistency("Seagrass meadows store carbon, and they are thriving.", sourceViews(SEAGRASS)).score).toBe(0);
  });
  it("leaves faithful paraphrases alone", () => {
    expect(sourceConsistency("The council will turn the old depot into a library; renovation takes two years.", sourceViews(DEPOT)).score).toBe(1);
    expect(sourceConsistency("From March the operator adds weekend night trains, and ticket prices will not increase.", sourceViews(TRAINS)).score).toBe(1);
    expect(sourceConsistency("Seagrass stores a lot of carbon and is disappearing.", sourceViews(SEAGRASS)).score).toBe(1);
  });
  it("counts the share of sentences", () => {
    const r = sourceConsistency("The operator will add weekend trains from March. The operator will cancel weekend services.", sourceViews(TRAINS));
    expect(r.score).toBe(0.5);
  });
  it("caps the composite through capReason, as degenerate text does", () => {
    expect(capReason("A fine summary.", { "source.consistency": 1 })).toBeNull();
    expect(capReason("A fine summary.", {})).toBeNull();
    expect(capReason("A summary.", { "source.consistency": 0.5 })).toMatch(/contradicts its source/);
    expect(capReason("A summary.", { "source.consistency": 0 })).toMatch(/contradicts its source/);
    // one flipped sentence of three or four is left to the graded score (cue-word false alarms)
    expect(capReason("A summary.", { "source.consistency": 0.666667 })).toBeNull();
    expect(capReason("A summary.", { "source.consistency": 0.75 })).toBeNull();
    expect(capReason("ocean ocean ocean ocean", { "source.consistency": 1 })).toMatch(/^stutter/);
  });
});

describe("qa.entities", () => {
  const vocab = vocabulary(["Who wrote the novel 'Pride and Prejudice'?", "Jane Austen"]);
  it("drops when the answer names someone the gold does not", () => {
    expect(entitySupport("It was written by Charlotte Bronte.", vocab)).toBe(0);
    expect(entitySupport("It was written by Jane Austen in 1813.", vocab)).toBe(1);
  });
  it("checks a name as a whole: every word of a multi-word name must be supported", () => {
    const ocean = vocabulary(["What is the largest ocean on Earth?", "the Pacific Ocean"]);
    expect(entitySupport("The Atlantic Ocean is the largest ocean.", ocean)).toBe(0);
    expect(entitySupport("The Pacific Ocean is the largest and deepest ocean on Earth.", ocean)).toBe(1);
    expect(entitySupport("Luke Skywalker", vocabulary(["who is under the mask of darth vader", "Anakin Skywalker"]))).toBe(0);
    expect(entitySupport("Anakin Skywalker", vocabulary(["who is under the mask of darth vader", "Anakin Skywalker"]))).toBe(1);
  });
  it("is 1 when the answer names no one (a lone sentence-initial capital is not a name)", () => {
    expect(entitySupport("Jane Austen", vocab)).toBe(1);
    expect(entitySupport("It is a novel.", vocab)).toBe(1);
  });
});

describe("qa.numbers", () => {
  it("requires the gold numbers when the gold states numbers", () => {
    expect(numberAgreement("The first landing was in July 1969.", ["1969"])).toBe(1);
    expect(numberAgreement("Humans first landed on the Moon in 1972.", ["1969"])).toBe(0);
    expect(numberAgreement("roughly between 1780 and 1850", ["1780–1830"])).toBe(0.5);
    expect(numberAgreement("about 2,630 stores", ["2630"])).toBe(1);
    expect(numberAgreement("in 19831", ["1983"])).toBe(1);
  });
  it("is 1 when no gold answer has a number, and ignores digits inside words", () => {
    expect(numberAgreement("Carbon dioxide", ["carbon dioxide", "CO2"])).toBe(1);
    expect(numberAgreement("Mars", ["Mars"])).toBe(1);
  });
  it("takes the best gold alternative", () => {
    expect(numberAgreement("It came out on April 10, 2018.", ["May 1, 2018", "April 10, 2018"])).toBe(1);
  });
});

describe("qa.support", () => {
  it("is the share of the answer's new content words found in the gold", () => {
    const q = vocabulary(["what is the largest ocean on earth"]);
    expect(contentSupport("The Pacific Ocean is the largest ocean.", vocabulary(["the Pacific Ocean"]), q)).toBe(1);
    expect(contentSupport("The Atlantic Ocean is the largest ocean.", vocabulary(["the Pacific Ocean"]), q)).toBe(0);
  });
});

describe("answer.committal", () => {
  it("is 0 for hedges and refusals", () => {
    expect(committal("As an AI language model, I do not have access to real-time information.")).toBe(0);
    expect(committal("I'm sorry but I couldn't find any specific information about it.")).toBe(0);
    expect(committal("The exact date cannot be determined from the sources.")).toBe(0);
  });
  it("is 1 for plain answers", () => {
    expect(committal("Wilhelm Röntgen")).toBe(1);
    expect(committal("The Pacific Ocean is the largest ocean on Earth.")).toBe(1);
    expect(committal("It is not known to be toxic to dogs.")).toBe(1);
  });
});

describe("degenerateReason: fragments", () => {
  it("names a string of one- and two-word fragments", () => {
    expect(degenerateReason("Trains. Weekend. Night. March.")).toMatch(/^fragments/);
  });
  it("leaves short answers and short sentences alone", () => {
    for (const t of [
      "Mars",
      "Jane Austen.",
      "Yes. It is.",
      "Paris. The capital of France is Paris. It is large.",
      // initials and numbered lists do not end sentences (EVOUNA answers)
      "L. K. Advani",
      "1. Rain\n2. Snow\n3. Sleet\n4. Hail",
      "1. Denison, Texas\n2. Durant, Oklahoma\n3. Hugo, Oklahoma",
    ])
      expect(degenerateReason(t), t).toBeNull();
  });
});
