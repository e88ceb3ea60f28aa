/* splitmix64 (Steele, Lea and Flood 2014): the one generator behind faultline's seeded draws
 * (rules, corruption, torn sectors, experiment seeds). Its k-th output from a state is a function
 * of the state and k alone, so a draw can be computed directly (counter-based). */
#ifndef FL_MIX_H
#define FL_MIX_H

#include <stdint.h>

/* The next number of the stream whose state is *state. */
static inline uint64_t fl_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The first output of the stream whose state is z: a mixing of z alone. */
static inline uint64_t fl_mix64(uint64_t z)
{
    return fl_splitmix64(&z);
}

#endif
