/**
 * Implementation details of the SMTP codec. Not exported by the module; nothing here is API.
 */
package org.relaymail.protocol.internal;
