/* radau_iia5_tables.h - the constants of the 3-stage Radau IIA method of
 * order 5 in the transformed form of Hairer & Wanner's radau5.f: nodes,
 * the eigenvalues of A^-1 (one real, one complex pair), the matrices T and
 * T^-1 that block-diagonalise A^-1, and the error-estimate weights. The
 * values are radau5.f's (Hairer & Wanner, Solving ODEs II, IV.8);
 * tests/implicit checks them against the exact Butcher matrix. */
#ifndef ODEON_CORE_RADAU_IIA5_TABLES_H
#define ODEON_CORE_RADAU_IIA5_TABLES_H

#include "implicit_table.h"

#define ODEON_RADAU_C1 0.15505102572168222    /* (4 - sqrt 6)/10 */
#define ODEON_RADAU_C2 0.6449489742783178     /* (4 + sqrt 6)/10 */
#define ODEON_RADAU_DD1 (-10.048809399827414) /* -(13 + 7 sqrt 6)/3 */
#define ODEON_RADAU_DD2 1.382142733160748     /* (-13 + 7 sqrt 6)/3 */
#define ODEON_RADAU_DD3 (-1.0 / 3.0)
/* Eigenvalues of A^-1: u1 and alpha +- i beta. */
#define ODEON_RADAU_U1 3.6378342527444962
#define ODEON_RADAU_ALPHA 2.6810828736277523
#define ODEON_RADAU_BETA 3.0504301992474105

ODEON_TABLE double odeon_radau_T[3][3] = {
    {9.1232394870892942792e-02, -0.14125529502095420843,
     -3.0029194105147424492e-02},
    {0.24171793270710701896, 0.20412935229379993199, 0.38294211275726193779},
    {0.96604818261509293619, 1.0, 0.0}};

ODEON_TABLE double odeon_radau_TI[3][3] = {
    {4.3255798900631553510, 0.33919925181580986954, 0.54177053993587487119},
    {-4.1787185915519047273, -0.32768282076106238708, 0.47662355450055045196},
    {-0.50287263494578687595, 2.5719269498556054292, -0.59603920482822492497}};

#endif
