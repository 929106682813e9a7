/* banned.h - calls that are easy to misuse; use ct_buf and the ct_ helpers. */
#ifndef CT_BANNED_H
#define CT_BANNED_H
#define CT_BANNED(f) sorry_##f##_is_banned
#undef strcpy
#define strcpy(a, b) CT_BANNED(strcpy)
#undef strcat
#define strcat(a, b) CT_BANNED(strcat)
#undef sprintf
#define sprintf(...) CT_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CT_BANNED(vsprintf)
#undef strtok
#define strtok(a, b) CT_BANNED(strtok)
#undef gmtime
#define gmtime(t) CT_BANNED(gmtime)
#undef localtime
#define localtime(t) CT_BANNED(localtime)
#endif
