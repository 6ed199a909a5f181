// SPDX-License-Identifier: GPL-2.0-only
/*
 * How the tracker reaches a store's blocks: the two backends.
 *
 * dax: a pmem namespace in fsdax mode, mapped whole through its dax
 * device. Reads go through copy_mc_to_kernel() (a poisoned line is an I/O
 * error, not a machine check), writes through memcpy_flushcache(), and
 * pmem_wmb() makes them durable. Asynchronous regions (virtio-pmem, whose
 * flush is a host call) are not used through DAX.
 *
 * bufio: any other block device, through dm-bufio in FM_BLOCK_SIZE
 * blocks; large reads go through dm-io directly. Writes are cached until a
 * commit writes them and flushes the device.
 *
 * Every call may sleep; the caller serialises writes and commits with the
 * store's io_lock.
 */
#define pr_fmt(fmt) "forkmirror-tracker: " fmt

#include <linux/module.h>
#include <linux/dax.h>
#include <linux/pfn_t.h>
#include <linux/dm-io.h>
#include <linux/uio.h>
#include <linux/libnvdimm.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "tracker-internal.h"

/* Map the whole device through DAX; 0, or why not (then bufio is used). */
static int dax_map(struct fm_store *store, const char **why)
{
	u64 start_off = 0, bytes = bdev_nr_bytes(store->bdev);
	long pages = bytes >> PAGE_SHIFT, got;
	struct dax_device *dax_dev;
	void *addr = NULL;
	pfn_t pfn;
	int id;

	dax_dev = fs_dax_get_by_bdev(store->bdev, &start_off, NULL, NULL);
	if (!dax_dev) {
		*why = "no DAX";
		return -EOPNOTSUPP;
	}
	if (!dax_synchronous(dax_dev)) {
		*why = "asynchronous DAX region";
		goto put;
	}
	if (start_off & (PAGE_SIZE - 1) || !pages) {
		*why = "unaligned DAX partition";
		goto put;
	}
	id = dax_read_lock();
	got = dax_direct_access(dax_dev, start_off >> PAGE_SHIFT, pages,
				DAX_ACCESS, &addr, &pfn);
	dax_read_unlock(id);
	if (got != pages || !pfn_t_has_page(pfn)) {
		*why = "DAX mapping not contiguous";
		goto put;
	}
	store->dax_dev = dax_dev;
	store->dax_addr = addr;
	store->dev_blocks = bytes / FM_BLOCK_SIZE;
	return 0;
put:
	fs_put_dax(dax_dev, NULL);
	return -EOPNOTSUPP;
}

/**
 * fm_backend_open() - choose and set up the backend of an opened device
 * @store: a store whose bdev is open
 * @error: a static message on failure
 */
int fm_backend_open(struct fm_store *store, const char **error)
{
	const char *why = NULL;

	if (!dax_map(store, &why)) {
		pr_info("store %s: pmem through DAX\n", store->name);
		return 0;
	}
	store->bufio = dm_bufio_client_create(store->bdev, FM_BLOCK_SIZE, 1, 0,
					      NULL, NULL, 0);
	if (IS_ERR(store->bufio)) {
		*error = "Cannot create the tracker device's block cache";
		return PTR_ERR(store->bufio);
	}
	store->dev_blocks = dm_bufio_get_device_size(store->bufio);
	if (strcmp(why, "no DAX"))
		pr_info("store %s: %s, using the block backend\n", store->name, why);
	return 0;
}

void fm_backend_close(struct fm_store *store)
{
	if (store->dax_dev)
		fs_put_dax(store->dax_dev, NULL);
	else
		dm_bufio_client_destroy(store->bufio);
}

const char *fm_backend_name(struct fm_store *store)
{
	return store->dax_addr ? "dax" : "bufio";
}

static void *dax_block(struct fm_store *store, u64 nr)
{
	return (u8 *)store->dax_addr + nr * FM_BLOCK_SIZE;
}

/**
 * fm_backend_read() - read blocks into buf (kmalloc or vmalloc memory)
 * @store: the store
 * @first: first block
 * @count: number of blocks
 * @buf: count * FM_BLOCK_SIZE bytes
 *
 * Reads what the device holds: callers read only blocks with no write
 * pending since the last commit.
 */
int fm_backend_read(struct fm_store *store, u64 first, u64 count, void *buf)
{
	struct dm_io_region region;
	struct dm_io_request req = {
		.bi_opf = REQ_OP_READ | REQ_SYNC,
	};

	if (first >= store->dev_blocks || count > store->dev_blocks - first)
		return -EIO;
	if (store->dax_addr) {
		if (copy_mc_to_kernel(buf, dax_block(store, first),
				      count * FM_BLOCK_SIZE))
			return -EIO;
		return 0;
	}
	req.mem.type = is_vmalloc_addr(buf) ? DM_IO_VMA : DM_IO_KMEM;
	req.mem.ptr.addr = buf;
	req.client = dm_bufio_get_dm_io_client(store->bufio);
	region.bdev = store->bdev;
	region.sector = first << (FM_BLOCK_SHIFT - SECTOR_SHIFT);
	region.count = count << (FM_BLOCK_SHIFT - SECTOR_SHIFT);
	return dm_io(&req, 1, &region, NULL, IOPRIO_DEFAULT);
}

/**
 * fm_backend_write() - write one block, durable only after a commit
 * @store: the store
 * @nr: the block
 * @buf: FM_BLOCK_SIZE bytes
 */
int fm_backend_write(struct fm_store *store, u64 nr, const void *buf)
{
	struct dm_buffer *b;
	void *data;

	if (nr >= store->dev_blocks)
		return -EIO;
	if (store->dax_addr) {
		memcpy_flushcache(dax_block(store, nr), buf, FM_BLOCK_SIZE);
		return 0;
	}
	data = dm_bufio_new(store->bufio, nr, &b);
	if (IS_ERR(data))
		return PTR_ERR(data);
	memcpy(data, buf, FM_BLOCK_SIZE);
	dm_bufio_mark_buffer_dirty(b);
	dm_bufio_release(b);
	return 0;
}

/**
 * fm_backend_zero() - zero blocks, durable only after a commit
 * @store: the store
 * @first: first block
 * @count: number of blocks
 *
 * On a block device the zeroes are written at once (the commit's flush
 * makes them durable); no bufio buffer of the range survives.
 */
int fm_backend_zero(struct fm_store *store, u64 first, u64 count)
{
	const void *zero = page_address(ZERO_PAGE(0));
	u64 i;

	BUILD_BUG_ON(FM_BLOCK_SIZE > PAGE_SIZE);
	if (first >= store->dev_blocks || count > store->dev_blocks - first)
		return -EIO;
	if (!store->dax_addr) {
		/* Large zeroing writes (or WRITE_ZEROES), not one per block. */
		dm_bufio_forget_buffers(store->bufio, first, count);
		return blkdev_issue_zeroout(store->bdev,
					    first << (FM_BLOCK_SHIFT - SECTOR_SHIFT),
					    count << (FM_BLOCK_SHIFT - SECTOR_SHIFT),
					    GFP_NOIO, 0);
	}
	for (i = 0; i < count; i++) {
		memcpy_flushcache(dax_block(store, first + i), zero, FM_BLOCK_SIZE);
		if ((i & 255) == 255)
			cond_resched();
	}
	return 0;
}

/**
 * fm_backend_commit() - make every write so far durable
 * @store: the store
 */
int fm_backend_commit(struct fm_store *store)
{
	int ret;

	if (store->dax_addr) {
		pmem_wmb();
		return 0;
	}
	ret = dm_bufio_write_dirty_buffers(store->bufio);
	if (!ret)
		ret = dm_bufio_issue_flush(store->bufio);
	return ret;
}

/**
 * fm_backend_forget() - drop cached blocks after a failed commit
 * @store: the store
 * @first: first block
 * @count: number of blocks
 *
 * So that a later read or write does not trust what never reached the
 * device.
 */
void fm_backend_forget(struct fm_store *store, u64 first, u64 count)
{
	if (!store->dax_addr)
		dm_bufio_forget_buffers(store->bufio, first, count);
}
