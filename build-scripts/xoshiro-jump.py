#!/usr/bin/env python3
"""Prints src/prng.c's jump table: x^(2^k) mod P(x) for k = 14 .. 23, where P
is the minimal polynomial of xoshiro256's state transition over GF(2).

P comes from Berlekamp-Massey on one state bit's sequence (degree 256). The
script checks its bit convention against the authors' published 2^128 jump
and two of its own polynomials against stepping the generator; the C tests
check every entry again (tests/c/test_threads.c). Run: python3 build-scripts/xoshiro-jump.py
"""

MASK = (1 << 64) - 1
FIRST, LAST = 14, 23


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def step(s):
    """xoshiro256's state transition (the output function does not matter)."""
    s0, s1, s2, s3 = s
    t = (s1 << 17) & MASK
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    return [s0, s1, s2, s3]


def berlekamp_massey(bits):
    """The shortest linear recurrence of bits: (connection polynomial, length)."""
    c, b, length, m = 1, 1, 0, 1
    for i, bit in enumerate(bits):
        d = bit
        for j in range(1, length + 1):
            d ^= (c >> j) & 1 & bits[i - j]
        if d == 0:
            m += 1
        elif 2 * length <= i:
            c, b, length, m = c ^ (b << m), c, i + 1 - length, 1
        else:
            c ^= b << m
            m += 1
    return c, length


def mulmod(a, b, p, degree=256):
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if (a >> degree) & 1:
            a ^= p
    return r


def jump(s, poly):
    """The state poly(T) s, as the authors' jump() computes it."""
    acc, x = [0, 0, 0, 0], list(s)
    for i in range(256):
        if (poly >> i) & 1:
            acc = [a ^ y for a, y in zip(acc, x)]
        x = step(x)
    return acc


def main():
    start = [0x0123456789ABCDEF, 0xFEDCBA9876543210, 0x0F1E2D3C4B5A6978, 0x8796A5B4C3D2E1F0]
    bits, x = [], list(start)
    for _ in range(1024):
        bits.append(x[0] & 1)
        x = step(x)
    c, length = berlekamp_massey(bits)
    assert length == 256, length
    p = 0
    for j in range(length + 1):  # the characteristic polynomial is the connection polynomial reversed
        if (c >> j) & 1:
            p |= 1 << (length - j)

    published_2_128 = [0x180EC6D33CFD0ABA, 0xD5A61266F0C9392C, 0xA9582618E03FC9AA, 0x39ABDC4529B1661C]
    power = 2  # the polynomial x
    for _ in range(128):
        power = mulmod(power, power, p)
    assert power == sum(w << (64 * i) for i, w in enumerate(published_2_128)), "bit convention"

    power, table = 2, []
    for k in range(1, LAST + 1):
        power = mulmod(power, power, p)
        if k >= FIRST:
            table.append((k, power))
    for k, poly in table[:2]:
        x = list(start)
        for _ in range(1 << k):
            x = step(x)
        assert jump(start, poly) == x, k
    for k, poly in table:
        words = ", ".join("0x%016xull" % ((poly >> (64 * i)) & MASK) for i in range(4))
        print("    {%s}, /* 2^%d */" % (words, k))


if __name__ == "__main__":
    main()
