"""Items passed from the spider to the item pipeline."""

import scrapy


class PageItem(scrapy.Item):
    """An article page that may be an annual report, or a file a page offered, exactly as fetched."""

    url = scrapy.Field()  # URL requested (first of a redirect chain)
    final_url = scrapy.Field()  # URL the body came from
    status = scrapy.Field()
    body = scrapy.Field()  # raw bytes
    referer = scrapy.Field()  # the list page that linked here
    link_title = scrapy.Field()  # the title the list page gave the link
    fetched_at = scrapy.Field()
    fetch_id = scrapy.Field()  # row in `fetches` of the exchange that gave the body
    run_id = scrapy.Field()
    via = scrapy.Field()  # http | browser
    offered_as = scrapy.Field()  # an attachment: "document" or "image" (referer offered it); else None
