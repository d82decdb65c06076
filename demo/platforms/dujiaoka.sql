-- 独角数卡 (dujiaoka v2): this project's own DDL of the columns the assistant reads (docs/PLATFORMS.md),
-- for the demo and the tests only. It is not the platform's install.sql: only the columns that matter, with
-- the names and types a v2 install has. A real shop already has these tables; never run this against it.
--
-- utf8mb4 with utf8mb4_unicode_ci, so `order_sn` and `email` compare without case, as on real installs
-- (whose utf8_unicode_ci is case-insensitive too). Times are `timestamp` holding the shop's local wall-clock
-- time, as Laravel writes them. ops/platform_demo.py drops and recreates these tables, then loads
-- demo/platforms/dujiaoka_orders.yml.

CREATE TABLE IF NOT EXISTS `goods` (
  `id` int NOT NULL AUTO_INCREMENT,
  `group_id` int NOT NULL,
  `gd_name` varchar(200) NOT NULL COMMENT '商品名称',
  `type` tinyint(1) NOT NULL DEFAULT '1' COMMENT '1 自动发货 2 人工处理',
  `actual_price` decimal(10,2) NOT NULL DEFAULT '0.00',
  `in_stock` int NOT NULL DEFAULT '0',
  `api_hook` text NULL COMMENT '回调事件 URL',
  `is_open` tinyint(1) NOT NULL DEFAULT '1',
  `created_at` timestamp NULL DEFAULT NULL,
  `updated_at` timestamp NULL DEFAULT NULL,
  `deleted_at` timestamp NULL DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='商品表';

CREATE TABLE IF NOT EXISTS `pays` (
  `id` int NOT NULL AUTO_INCREMENT,
  `pay_name` varchar(200) NOT NULL,
  `pay_check` varchar(50) NOT NULL COMMENT '支付标识 (zfbf2f, wxpay, ...)',
  `pay_method` tinyint(1) NOT NULL COMMENT '1 跳转 2 扫码',
  `pay_client` tinyint(1) NOT NULL DEFAULT '1' COMMENT '1 电脑 2 手机 3 通用',
  `merchant_id` varchar(200) NULL DEFAULT NULL,
  `merchant_key` text NULL,
  `merchant_pem` text NOT NULL,
  `pay_handleroute` varchar(200) NOT NULL,
  `is_open` tinyint(1) NOT NULL DEFAULT '1',
  `created_at` timestamp NULL DEFAULT NULL,
  `updated_at` timestamp NULL DEFAULT NULL,
  `deleted_at` timestamp NULL DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_pay_check` (`pay_check`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `carmis` (
  `id` int NOT NULL AUTO_INCREMENT,
  `goods_id` int NOT NULL,
  `status` tinyint(1) NOT NULL DEFAULT '1' COMMENT '1 未售出 2 已售出',
  `carmi` text NOT NULL COMMENT '卡密',
  `created_at` timestamp NULL DEFAULT NULL,
  `updated_at` timestamp NULL DEFAULT NULL,
  `deleted_at` timestamp NULL DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_goods_id` (`goods_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `orders` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `order_sn` varchar(150) NOT NULL COMMENT '订单号',
  `goods_id` int NOT NULL,
  `coupon_id` int DEFAULT '0',
  `title` varchar(200) NOT NULL,
  `type` tinyint(1) NOT NULL DEFAULT '1' COMMENT '1 自动发货 2 人工处理',
  `goods_price` decimal(10,2) NOT NULL DEFAULT '0.00',
  `buy_amount` int NOT NULL DEFAULT '1',
  `total_price` decimal(10,2) NOT NULL DEFAULT '0.00',
  `actual_price` decimal(10,2) NOT NULL DEFAULT '0.00',
  `search_pwd` varchar(200) DEFAULT '' COMMENT '查询密码',
  `email` varchar(200) NOT NULL,
  `info` text NULL COMMENT '订单详情 (卡密 / 充值信息)',
  `pay_id` int DEFAULT NULL,
  `buy_ip` varchar(50) NOT NULL,
  `trade_no` varchar(200) DEFAULT '' COMMENT '第三方支付订单号',
  `status` tinyint(1) NOT NULL DEFAULT '1' COMMENT '1 待支付 2 待处理 3 处理中 4 已完成 5 处理失败 6 异常 -1 过期',
  `coupon_ret_back` tinyint(1) NOT NULL DEFAULT '0',
  `created_at` timestamp NULL DEFAULT NULL,
  `updated_at` timestamp NULL DEFAULT NULL,
  `deleted_at` timestamp NULL DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_order_sn` (`order_sn`),
  KEY `idx_goods_id` (`goods_id`),
  KEY `idex_email` (`email`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci COMMENT='订单表';
