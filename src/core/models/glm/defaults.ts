/**
 * The GLM solver's defaults that other modules read without importing the solver: the search's
 * parameter space records a glm trial's iteration cap against the same number the solver uses when
 * none is given.
 */

/** The solver's iteration cap when none is given (solver.ts), and a glm trial's uncapped resource. */
export const GLM_MAX_ITERATIONS = 1000;
