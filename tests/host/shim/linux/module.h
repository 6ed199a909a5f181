/* SPDX-License-Identifier: GPL-2.0-only */
/* Host build of KUnit suites: module metadata means nothing here. */
#ifndef FM_HOST_LINUX_MODULE_H
#define FM_HOST_LINUX_MODULE_H
#define MODULE_DESCRIPTION(x)
#define MODULE_LICENSE(x)
#define MODULE_IMPORT_NS(x)
#endif
