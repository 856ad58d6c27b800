"""The PDF showcase brochure: content, pages, images, the build and its job."""
