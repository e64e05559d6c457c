/**
 * The SMTP codec: immutable values and pure functions for everything that crosses the wire.
 *
 * <p>Nothing here performs I/O or starts threads. Every type is immutable and thread-safe unless
 * its Javadoc says otherwise. Bad input throws an exception that names the bad value and the rule
 * it breaks; no factory can produce a command that carries CR, LF or NUL.
 */
package org.relaymail.protocol;
