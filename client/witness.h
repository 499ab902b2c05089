/*
 * witness.h: `pubtrail witness serve`, a C2SP tlog-witness.
 *
 *   pubtrail witness serve --key FILE --listen HOST:PORT --state DIR
 *       --log VKEY[,VKEY...] [--name NAME]
 *
 * POST /add-checkpoint (witreq.h).  For each log origin it keeps, in the
 * witness store (witstore.h, DIR/db), the latest checkpoint it cosigned;
 * checking a request against it, cosigning and storing the new one happen
 * in one write transaction, committed (fsynced) before the answer is sent,
 * so neither concurrent requests nor a kill -9 can make it cosign a smaller
 * or different tree than one it cosigned before.  Requests signed by the
 * log that conflict with the stored checkpoint are kept in DIR/evidence/.
 *
 * Statuses (C2SP tlog-witness, current text): 200 cosignature line; 400
 * malformed body or old > size; 403 no valid signature by a configured key
 * of the origin, or one by such a key that does not verify; 404 unknown
 * origin; 405 wrong method; 409 (text/x.tlog.size) old is not the stored
 * size; 413 body too large; 422 a checkpoint of size 0 whose root is not
 * the empty tree's, a proof with old 0, same size and another root, or a
 * consistency proof that does not verify; 500 storage failure (the witness
 * then exits; the details go to its log only); 503 storage full.
 *
 * GET /<lower-case hex SHA-256 of the origin>/checkpoint (the monitoring
 * endpoint): the latest checkpoint it cosigned for that log, with the
 * log's signatures it verified and its cosignature; 404 when none.
 */
#ifndef PT_CLIENT_WITNESS_H
#define PT_CLIENT_WITNESS_H

/* argv[0] is "witness", argv[1] "serve".  Runs until SIGTERM/SIGINT;
 * returns an exit code (0 after a signal, 3 on a storage error). */
int witness_main(int argc, char **argv);

#endif
