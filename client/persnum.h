/*
 * persnum.h: national numbers that by their form belong to a natural
 * person.
 *
 * An "organization" whose id is such a number under a scheme of that
 * country is a self-employed person: logged so, their name and number
 * would be public forever.  The forms are those of the numbers' issuers
 * (check digits and the date fields where a number has them); the tests
 * compare them with python-stdnum, an independent implementation.
 */
#ifndef PT_CLIENT_PERSNUM_H
#define PT_CLIENT_PERSNUM_H

/*
 * What the id is when it has the form of a person's number of the country
 * whose code begins scheme ("PL-…": a Polish PESEL), as a phrase for a
 * message ("a Polish PESEL"), static; NULL when it has none.  Separators
 * people write in such numbers (spaces, points, hyphens, slashes) are
 * ignored, and so is the case of letters.  O(length of id).
 */
const char *pnum_person(const char *scheme, const char *id);

#endif
