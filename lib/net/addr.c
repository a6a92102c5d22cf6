#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "util/error.h"

static uint32_t
mask_of (unsigned prefix)
{
  return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

int
mr_ip_parse (const char *s, uint32_t *out)
{
  struct in_addr a;

  if (s == NULL || inet_pton (AF_INET, s, &a) != 1)
    return -1;
  *out = ntohl (a.s_addr);
  return 0;
}

void
mr_ip_format (uint32_t ip, char *buf, size_t len)
{
  struct in_addr a = { .s_addr = htonl (ip) };

  if (inet_ntop (AF_INET, &a, buf, len) == NULL && len > 0)
    buf[0] = '\0';
}

int
mr_subnet_parse (const char *s, struct mr_subnet *out, struct mr_error *err)
{
  char ip[INET_ADDRSTRLEN];
  const char *slash = strchr (s, '/');
  char *end;
  long prefix;
  uint32_t addr;

  if (slash == NULL || (size_t)(slash - s) >= sizeof ip)
    return mr_error_set (err, "invalid subnet '%s': expected an IPv4 CIDR such as 10.77.0.0/24", s);
  memcpy (ip, s, slash - s);
  ip[slash - s] = '\0';
  errno = 0;
  prefix = strtol (slash + 1, &end, 10);
  if (mr_ip_parse (ip, &addr) < 0 || slash[1] == '\0' || *end != '\0' || errno != 0)
    return mr_error_set (err, "invalid subnet '%s': expected an IPv4 CIDR such as 10.77.0.0/24", s);
  if (prefix < 8 || prefix > 30)
    return mr_error_set (err, "invalid subnet '%s': the prefix must be 8 to 30", s);
  if ((addr & ~mask_of (prefix)) != 0)
    return mr_error_set (err, "invalid subnet '%s': host bits are set (did you mean %u.%u.%u.%u/%ld?)",
                         s, (addr & mask_of (prefix)) >> 24, ((addr & mask_of (prefix)) >> 16) & 255,
                         ((addr & mask_of (prefix)) >> 8) & 255, addr & mask_of (prefix) & 255,
                         prefix);
  out->addr = addr;
  out->prefix = (unsigned)prefix;
  return 0;
}

void
mr_subnet_format (const struct mr_subnet *s, char *buf, size_t len)
{
  char ip[INET_ADDRSTRLEN];

  mr_ip_format (s->addr, ip, sizeof ip);
  snprintf (buf, len, "%s/%u", ip, s->prefix);
}

bool
mr_subnet_overlaps (const struct mr_subnet *a, const struct mr_subnet *b)
{
  unsigned p = a->prefix < b->prefix ? a->prefix : b->prefix;

  return (a->addr & mask_of (p)) == (b->addr & mask_of (p));
}

bool
mr_subnet_contains (const struct mr_subnet *s, uint32_t ip)
{
  return (ip & mask_of (s->prefix)) == s->addr;
}

uint32_t
mr_subnet_last (const struct mr_subnet *s)
{
  return s->addr | ~mask_of (s->prefix);
}

/* A port number 1-65535 (0 too when zero_ok); -1 otherwise.  */
static long
parse_port (const char *s, size_t len, bool zero_ok)
{
  char buf[8];
  char *end;
  long v;

  if (len == 0 || len >= sizeof buf)
    return -1;
  memcpy (buf, s, len);
  buf[len] = '\0';
  for (size_t i = 0; i < len; i++)
    if (buf[i] < '0' || buf[i] > '9')
      return -1;
  v = strtol (buf, &end, 10);
  if (v > 65535 || (v == 0 && !zero_ok))
    return -1;
  return v;
}

#define PORT_FORMS "expected [IP:][HOSTPORT:]CTRPORT[/tcp|/udp], ports 1-65535"

int
mr_port_parse (const char *s, struct mr_port_mapping *out, struct mr_error *err)
{
  const char *proto = strchr (s, '/');
  const char *end = proto ? proto : s + strlen (s);
  const char *c2 = NULL, *c1 = NULL;
  long host = 0, ctr;

  memset (out, 0, sizeof *out);
  strcpy (out->proto, "tcp");
  if (proto && strcmp (proto, "/tcp") != 0 && strcmp (proto, "/udp") != 0)
    return mr_error_set (err, "invalid port '%s': the protocol must be tcp or udp", s);
  if (proto)
    strcpy (out->proto, proto + 1);
  for (const char *p = end; p > s; p--)
    if (p[-1] == ':')
      {
        if (c2 == NULL)
          c2 = p - 1;
        else if (c1 == NULL)
          c1 = p - 1;
        else
          return mr_error_set (err, "invalid port '%s': %s", s, PORT_FORMS);
      }
  ctr = parse_port (c2 ? c2 + 1 : s, end - (c2 ? c2 + 1 : s), false);
  if (ctr < 0)
    return mr_error_set (err, "invalid port '%s': container port: %s", s, PORT_FORMS);
  if (c2)
    {
      const char *hs = c1 ? c1 + 1 : s;
      /* IP::CTRPORT leaves the host port to the automatic range */
      host = c2 == hs && c1 ? 0 : parse_port (hs, c2 - hs, false);
      if (host < 0)
        return mr_error_set (err, "invalid port '%s': host port: %s", s, PORT_FORMS);
    }
  if (c1)
    {
      uint32_t ip;
      if ((size_t)(c1 - s) >= sizeof out->host_ip)
        return mr_error_set (err, "invalid port '%s': host address: expected IPv4", s);
      memcpy (out->host_ip, s, c1 - s);
      out->host_ip[c1 - s] = '\0';
      if (mr_ip_parse (out->host_ip, &ip) < 0)
        return mr_error_set (err, "invalid port '%s': host address '%s': expected IPv4", s,
                             out->host_ip);
      if (ip == 0)
        out->host_ip[0] = '\0';
    }
  out->host_port = (uint16_t)host;
  out->container_port = (uint16_t)ctr;
  return 0;
}

void
mr_net_link_name (const char *prefix, const char *data_dir, const char *key, char *buf, size_t len)
{
  uint32_t h = 2166136261u; /* FNV-1a */

  for (const char *p = data_dir; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  h = (h ^ '/') * 16777619u;
  for (const char *p = key; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  snprintf (buf, len, "%s%08x", prefix, h);
}
