/**
 * The {@code swp} command-line tool (picocli): {@code demo}, {@code send}, {@code recv},
 * {@code bench}. Human output goes to standard output, errors as one line to standard
 * error; exit codes are 0 success, 1 transfer failed, 2 usage error.
 */
package io.swp.examples.cli;
