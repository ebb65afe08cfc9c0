// The experiments of the paper, by name: each is one function from a scale to its tables
// (Markdown + JSON payload, with provenance), defined with its report code in its own file. The
// notebooks call these and show the result; `autodim reproduce` calls the same functions and
// writes results/.
import { beyondExperiment } from "./beyond-report.js";
import { caseStudyExperiment, caseStudyPaperExperiment } from "./casestudy-experiment.js";
import { claimsExperiment } from "./claims-experiment.js";
import { componentsExperiment } from "./components.js";
import { dataExperiment } from "./data.js";
import { dataMissing } from "./datasets-real.js";
import type { DataName, Scale } from "./datasets.js";
import { dimensionsExperiment, movielensDimensionsExperiment } from "./dimensions-experiment.js";
import { dataOf, type Experiment, type ExperimentOutput } from "./experiment.js";
import { frequencyExperiment } from "./frequency.js";
import {
  avazuMethodsExperiment,
  criteoMethodsExperiment,
  efficiencyExperiment,
  methodsExperiment,
  movielensCoreExperiment,
  movielensMethodsExperiment,
  plantedMethodsExperiment,
} from "./methods-experiment.js";
import { stabilityExperiment } from "./stability.js";
import { transferExperiment } from "./transfer.js";
import { tuningExperiment } from "./tuning-report.js";
import { unificationExperiment } from "./unification.js";
import { whyExperiment, whyPlantedExperiment } from "./why.js";

/** An experiment as the registry holds it: run with its default settings, or in a cell mode (`outcome`). */
type Registered = ((scale: Scale) => Promise<ExperimentOutput>) & Pick<Experiment, "outcome">;

/** The experiments by name, each run with its default settings (`reproduce` passes none). */
export const EXPERIMENTS: Record<string, Registered> = {
  data: dataExperiment,
  methods: methodsExperiment,
  "methods-movielens": movielensMethodsExperiment,
  "methods-movielens-core": movielensCoreExperiment,
  "methods-planted": plantedMethodsExperiment,
  "methods-criteo": criteoMethodsExperiment,
  "methods-avazu": avazuMethodsExperiment,
  efficiency: efficiencyExperiment,
  components: componentsExperiment,
  frequency: frequencyExperiment,
  dimensions: dimensionsExperiment,
  "dimensions-movielens": movielensDimensionsExperiment,
  casestudy: caseStudyExperiment,
  "casestudy-paper": caseStudyPaperExperiment,
  transfer: transferExperiment,
  stability: stabilityExperiment,
  unification: unificationExperiment,
  tuning: tuningExperiment,
  beyond: beyondExperiment,
  claims: claimsExperiment,
  why: whyExperiment,
  "why-planted": whyPlantedExperiment,
};
/** The data set an experiment runs on by default: "scale" or a real one the user supplies. */
export function experimentData(name: string, scale: Scale): DataName {
  return dataOf((EXPERIMENTS[name] as Experiment<unknown, unknown>).defaults?.(scale));
}

/** Why an experiment's default data set is absent here (real data the user supplies), or undefined. */
export function experimentDataMissing(name: string, scale: Scale): string | undefined {
  return dataMissing(experimentData(name, scale));
}
